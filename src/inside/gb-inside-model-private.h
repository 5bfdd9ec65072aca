/* gb-inside-model-private.h — reading query-stats JSON, shared by the
 * model and the Lab's experiments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Each returns 0 / NULL when @object is NULL or the member is missing or
 * of another kind, so a VMM that reports less is read without checks. */
guint64     _gb_inside_json_uint   (JsonObject *object,
                                    const char *name);
JsonObject *_gb_inside_json_object (JsonObject *object,
                                    const char *name);
JsonArray  *_gb_inside_json_array  (JsonObject *object,
                                    const char *name);

G_END_DECLS
