/* lab-json.h: one member of the object a JsonBuilder is building, in one
 * call (the member's name, then its value), for the many `--json` and
 * state documents labctl writes. Each is exactly
 * json_builder_set_member_name() followed by json_builder_add_*_value(). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void lab_json_member_string  (JsonBuilder *builder,
                              const char  *name,
                              const char  *value);
/* value NULL: a JSON null instead of a string. */
void lab_json_member_nullable (JsonBuilder *builder,
                               const char  *name,
                               const char  *value);
void lab_json_member_int     (JsonBuilder *builder,
                              const char  *name,
                              gint64       value);
void lab_json_member_double  (JsonBuilder *builder,
                              const char  *name,
                              double       value);
void lab_json_member_boolean (JsonBuilder *builder,
                              const char  *name,
                              gboolean     value);

G_END_DECLS
