/* gfs.h: libguestfs, loaded on first use (private to guest/). */
/* Linking it costs every pocbake start ~14 ms of library constructors (libvirt and friends),
 * even for commands that never launch it. */
#pragma once

#include <guestfs.h>

#include "util/diag.h"

/* Every libguestfs function the guest module calls. */
#define GFS_FUNCS(X)                                                                               \
        X(guestfs_add_drive_opts)                                                                  \
        X(guestfs_blockdev_getsize64)                                                              \
        X(guestfs_checksum)                                                                        \
        X(guestfs_chmod)                                                                           \
        X(guestfs_close)                                                                           \
        X(guestfs_cp_a)                                                                            \
        X(guestfs_create_flags)                                                                    \
        X(guestfs_download)                                                                        \
        X(guestfs_exists)                                                                          \
        X(guestfs_filesize)                                                                        \
        X(guestfs_free_partition_list)                                                             \
        X(guestfs_free_statns)                                                                     \
        X(guestfs_inspect_get_mountpoints)                                                         \
        X(guestfs_inspect_os)                                                                      \
        X(guestfs_is_dir)                                                                          \
        X(guestfs_is_dir_opts)                                                                     \
        X(guestfs_is_file)                                                                         \
        X(guestfs_is_file_opts)                                                                    \
        X(guestfs_last_errno)                                                                      \
        X(guestfs_last_error)                                                                      \
        X(guestfs_launch)                                                                          \
        X(guestfs_list_filesystems)                                                                \
        X(guestfs_ln_sf)                                                                           \
        X(guestfs_lstatns)                                                                         \
        X(guestfs_lvcreate)                                                                        \
        X(guestfs_lvcreate_free)                                                                   \
        X(guestfs_lvs)                                                                             \
        X(guestfs_ls)                                                                              \
        X(guestfs_mkdir)                                                                           \
        X(guestfs_mkdir_p)                                                                         \
        X(guestfs_mke2fs)                                                                          \
        X(guestfs_mkfs_opts)                                                                       \
        X(guestfs_mount)                                                                           \
        X(guestfs_mount_ro)                                                                        \
        X(guestfs_part_get_gpt_type)                                                               \
        X(guestfs_part_get_name)                                                                   \
        X(guestfs_part_get_parttype)                                                               \
        X(guestfs_part_list)                                                                       \
        X(guestfs_pvcreate)                                                                        \
        X(guestfs_read_file)                                                                       \
        X(guestfs_rmdir)                                                                           \
        X(guestfs_set_backend_settings)                                                            \
        X(guestfs_set_error_handler)                                                               \
        X(guestfs_set_uuid)                                                                        \
        X(guestfs_shutdown)                                                                        \
        X(guestfs_tar_in_opts)                                                                     \
        X(guestfs_umount)                                                                          \
        X(guestfs_umount_all)                                                                      \
        X(guestfs_upload)                                                                          \
        X(guestfs_vfs_label)                                                                       \
        X(guestfs_vfs_uuid)                                                                        \
        X(guestfs_vgcreate)                                                                        \
        X(guestfs_vgs)                                                                             \
        X(guestfs_write)

#define GFS_EXTERN(f) extern __typeof__(f) *gfs_p_##f;
GFS_FUNCS(GFS_EXTERN)
#undef GFS_EXTERN

/* dlopen libguestfs.so.0 and look every function up; 0, or -ENOENT with a message
 * saying which package to install. Safe to call again. */
int gfs_load(struct diag *d);

#ifndef GFS_NO_REDIRECT
#define guestfs_add_drive_opts          (*gfs_p_guestfs_add_drive_opts)
#define guestfs_blockdev_getsize64      (*gfs_p_guestfs_blockdev_getsize64)
#define guestfs_checksum                (*gfs_p_guestfs_checksum)
#define guestfs_chmod                   (*gfs_p_guestfs_chmod)
#define guestfs_close                   (*gfs_p_guestfs_close)
#define guestfs_cp_a                    (*gfs_p_guestfs_cp_a)
#define guestfs_create_flags            (*gfs_p_guestfs_create_flags)
#define guestfs_download                (*gfs_p_guestfs_download)
#define guestfs_exists                  (*gfs_p_guestfs_exists)
#define guestfs_filesize                (*gfs_p_guestfs_filesize)
#define guestfs_free_partition_list     (*gfs_p_guestfs_free_partition_list)
#define guestfs_free_statns             (*gfs_p_guestfs_free_statns)
#define guestfs_inspect_get_mountpoints (*gfs_p_guestfs_inspect_get_mountpoints)
#define guestfs_inspect_os              (*gfs_p_guestfs_inspect_os)
#define guestfs_is_dir                  (*gfs_p_guestfs_is_dir)
#define guestfs_is_dir_opts             (*gfs_p_guestfs_is_dir_opts)
#define guestfs_is_file                 (*gfs_p_guestfs_is_file)
#define guestfs_is_file_opts            (*gfs_p_guestfs_is_file_opts)
#define guestfs_last_errno              (*gfs_p_guestfs_last_errno)
#define guestfs_last_error              (*gfs_p_guestfs_last_error)
#define guestfs_launch                  (*gfs_p_guestfs_launch)
#define guestfs_list_filesystems        (*gfs_p_guestfs_list_filesystems)
#define guestfs_ln_sf                   (*gfs_p_guestfs_ln_sf)
#define guestfs_lstatns                 (*gfs_p_guestfs_lstatns)
#define guestfs_lvcreate                (*gfs_p_guestfs_lvcreate)
#define guestfs_lvcreate_free           (*gfs_p_guestfs_lvcreate_free)
#define guestfs_lvs                     (*gfs_p_guestfs_lvs)
#define guestfs_ls                      (*gfs_p_guestfs_ls)
#define guestfs_mkdir                   (*gfs_p_guestfs_mkdir)
#define guestfs_mkdir_p                 (*gfs_p_guestfs_mkdir_p)
#define guestfs_mke2fs                  (*gfs_p_guestfs_mke2fs)
#define guestfs_mkfs_opts               (*gfs_p_guestfs_mkfs_opts)
#define guestfs_mount                   (*gfs_p_guestfs_mount)
#define guestfs_mount_ro                (*gfs_p_guestfs_mount_ro)
#define guestfs_part_get_gpt_type       (*gfs_p_guestfs_part_get_gpt_type)
#define guestfs_part_get_name           (*gfs_p_guestfs_part_get_name)
#define guestfs_part_get_parttype       (*gfs_p_guestfs_part_get_parttype)
#define guestfs_part_list               (*gfs_p_guestfs_part_list)
#define guestfs_pvcreate                (*gfs_p_guestfs_pvcreate)
#define guestfs_read_file               (*gfs_p_guestfs_read_file)
#define guestfs_rmdir                   (*gfs_p_guestfs_rmdir)
#define guestfs_set_backend_settings    (*gfs_p_guestfs_set_backend_settings)
#define guestfs_set_error_handler       (*gfs_p_guestfs_set_error_handler)
#define guestfs_set_uuid                (*gfs_p_guestfs_set_uuid)
#define guestfs_shutdown                (*gfs_p_guestfs_shutdown)
#define guestfs_tar_in_opts             (*gfs_p_guestfs_tar_in_opts)
#define guestfs_umount                  (*gfs_p_guestfs_umount)
#define guestfs_umount_all              (*gfs_p_guestfs_umount_all)
#define guestfs_upload                  (*gfs_p_guestfs_upload)
#define guestfs_vfs_label               (*gfs_p_guestfs_vfs_label)
#define guestfs_vfs_uuid                (*gfs_p_guestfs_vfs_uuid)
#define guestfs_vgcreate                (*gfs_p_guestfs_vgcreate)
#define guestfs_vgs                     (*gfs_p_guestfs_vgs)
#define guestfs_write                   (*gfs_p_guestfs_write)
#endif
