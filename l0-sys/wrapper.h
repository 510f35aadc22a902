/* The Level Zero headers the bindings are generated from. */
#include <ze_api.h>
#include <ze_ddi.h>
#include <loader/ze_loader.h>
