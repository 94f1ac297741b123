# bash completion for pocbake: commands, kinds, each command's options (read from
# its own --help), and role and profile names read from the recipe on the line.

_pocbake_recipe() {
        local w
        for w in "${COMP_WORDS[@]:2}"; do
                case $w in *.yaml|*.yml) [ -f "$w" ] && { printf '%s\n' "$w"; return; } ;; esac
        done
}

_pocbake() {
        local cur prev cmd sub recipe words
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        cmd=${COMP_WORDS[1]}
        if [ "$COMP_CWORD" -eq 1 ]; then
                words=$(pocbake --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
                COMPREPLY=($(compgen -W "$words --version -V --help" -- "$cur"))
                return
        fi
        case $cmd in
        keys|verify|cache)
                if [ "$COMP_CWORD" -eq 2 ]; then
                        words=$(pocbake "$cmd" --help 2>/dev/null | awk '/^  [a-z]/ {print $1}')
                        COMPREPLY=($(compgen -W "$words" -- "$cur"))
                        return
                fi
                sub=${COMP_WORDS[2]} ;;
        esac
        case $prev in
        --role)
                recipe=$(_pocbake_recipe)
                [ -n "$recipe" ] && COMPREPLY=($(compgen -W "$(pocbake complete roles "$recipe" 2>/dev/null)" -- "$cur"))
                return ;;
        --profile)
                recipe=$(_pocbake_recipe)
                [ -n "$recipe" ] && COMPREPLY=($(compgen -W "$(pocbake complete profiles "$recipe" 2>/dev/null)" -- "$cur"))
                return ;;
        --firmware) COMPREPLY=($(compgen -W "ovmf-secboot ovmf seabios" -- "$cur")); return ;;
        --accel) COMPREPLY=($(compgen -W "auto kvm tcg" -- "$cur")); return ;;
        --as) COMPREPLY=($(compgen -W "disk cdrom usb" -- "$cur")); return ;;
        --enroll) COMPREPLY=($(compgen -W "force manual off" -- "$cur")); return ;;
        -o|--output|--keys|--cache|--allow-path|--pxe)
                COMPREPLY=($(compgen -d -- "$cur")); return ;;
        esac
        if [[ $cur == -* ]]; then
                words=$(pocbake $cmd ${sub:+"$sub"} --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)
                COMPREPLY=($(compgen -W "$words" -- "$cur"))
                return
        fi
        COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _pocbake pocbake
