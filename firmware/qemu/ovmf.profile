# ovmf.profile: QEMU firmware profile, UEFI without Secure Boot (OVMF 4M, q35); shell syntax.
FIRMWARE_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
FIRMWARE_VARS_TEMPLATE=/usr/share/OVMF/OVMF_VARS_4M.fd
MACHINE="q35"
MACHINE_ARGS="-global ICH9-LPC.disable_s3=1"
