# seabios.profile: QEMU firmware profile, legacy BIOS (SeaBIOS, QEMU's default); shell syntax.
FIRMWARE_CODE=
FIRMWARE_VARS_TEMPLATE=
MACHINE="pc"
MACHINE_ARGS=""
