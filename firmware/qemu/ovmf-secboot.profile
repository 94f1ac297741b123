# ovmf-secboot.profile: QEMU firmware profile, UEFI with Secure Boot (OVMF 4M, q35, SMM); shell syntax.
# OVMF's secure build hangs without SMM; S3 off avoids its resume path; the
# default NIC would try network boot first, so disk and ISO boots add -net none.
FIRMWARE_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
FIRMWARE_VARS_TEMPLATE=/usr/share/OVMF/OVMF_VARS_4M.fd
MACHINE="q35,smm=on"
MACHINE_ARGS="-global driver=cfi.pflash01,property=secure,value=on -global ICH9-LPC.disable_s3=1"
