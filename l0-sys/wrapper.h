/* The Level Zero headers the bindings are generated from. Newer headers (API 1.1x) use
 * `bool` in loader/ze_loader.h and assume the C standard headers below are included. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ze_api.h>
#include <ze_ddi.h>
#include <loader/ze_loader.h>
