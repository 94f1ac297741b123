/* data.h: finding pocbake's installed data files (firmware/, init scripts). */
#pragma once

/* A malloc'd path to rel (e.g. "firmware/initrd/init") under the first data
 * directory that has it: $POCBAKE_DATADIR, then the source tree the running
 * binary was built in (its directory's parent), then share/pocbake beside an
 * installed binary's bin/ (any PREFIX), then POCBAKE_DATADIR as compiled in.
 * NULL (errno set) when none has it. */
char *data_path(const char *rel);
