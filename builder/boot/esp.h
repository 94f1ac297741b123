/* esp.h: the EFI system partition's file tree: signed systemd-boot, UKIs, loader.conf, keys. */
#pragma once

#include <stddef.h>

#include "util/diag.h"

#define ESP_DEFAULT_LOADER "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

/* systemd-boot's secure-boot-enroll: force enrolls loader/keys/auto on the first
 * boot in setup mode; manual offers it as a menu entry; off ignores the keys. */
enum esp_enroll {
        ESP_ENROLL_FORCE,
        ESP_ENROLL_MANUAL,
        ESP_ENROLL_OFF,
};

struct esp_spec {
        const char *keydir;      /* db.key + db.crt sign; PK.auth, KEK.auth, db.auth are enrolled;
                                  * NULL: loader and UKIs go in unsigned, nothing is enrolled */
        const char *loader;      /* NULL: ESP_DEFAULT_LOADER */
        const char *const *ukis; /* UKI files, installed as EFI/Linux/<file name> */
        size_t n_ukis;
        enum esp_enroll enroll;
        unsigned timeout;        /* menu timeout in seconds */
        const char *default_uki; /* file name of the default entry; NULL: the first UKI */
        const char *loader_conf; /* template; NULL: firmware/loader.conf from the data dir */
};

/* "force", "manual" or "off"; -EINVAL otherwise. */
int esp_enroll_parse(const char *s, enum esp_enroll *e);
/* Check every input, then write the tree under dir: EFI/BOOT/BOOTX64.EFI and
 * EFI/systemd/systemd-bootx64.efi (the loader signed with db), EFI/Linux/NAME.efi
 * (each UKI signed with db), loader/loader.conf and, unless enroll is off,
 * loader/keys/auto/{PK,KEK,db}.auth (the only folder systemd-boot 252 enrolls
 * from by itself). */
int esp_populate(const struct esp_spec *s, const char *dir, struct diag *d);
