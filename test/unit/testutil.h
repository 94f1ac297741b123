/* testutil.h: assertions the cmocka tests share; include after <cmocka.h>. */
#pragma once

#include <stdbool.h>
#include <string.h>

#include "util/diag.h"

/* One of the messages in d contains want; d is emptied. */
static inline void assert_msg(struct diag *d, const char *want)
{
        bool found = false;

        for (size_t i = 0; i < d->n; i++)
                if (strstr(d->msgs[i], want))
                        found = true;
        if (!found)
                for (size_t i = 0; i < d->n; i++)
                        print_message("message: %s\n", d->msgs[i]);
        assert_true(found);
        diag_release(d);
}
