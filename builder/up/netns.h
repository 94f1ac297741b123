/* netns.h: a bridge per appliance network, in a namespace of its own (private to up/). */
#pragma once

#include <stdbool.h>

#include "util/diag.h"

/* NAME is "pocbake-" and 8 hex digits of the output directory's real path, so
 * two appliances up from two directories never share a switch. */
#define NETNS_NAME_MAX 24
int netns_name(const char *out, char name[NETNS_NAME_MAX]);
bool netns_exists(const char *ns);
/* A new namespace with only its loopback up: no route leaves it. */
int netns_create(const char *ns, struct diag *d);
int netns_bridge(const char *ns, const char *bridge, struct diag *d);
/* A tap for a VM's NIC, plugged into bridge. */
int netns_tap(const char *ns, const char *tap, const char *bridge, struct diag *d);
/* Remove the namespace and every device in it; no error when it is gone. */
int netns_delete(const char *ns, struct diag *d);
