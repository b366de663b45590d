/* lab-xml-writer.h: a small streaming XML writer for libvirt documents.
 *
 * Elements are opened with lab_xml_writer_start(), attributes added with
 * lab_xml_writer_attr() while the start tag is still open, text with
 * lab_xml_writer_text(), and closed with lab_xml_writer_end(). Attribute
 * values and text are escaped; output is indented by two spaces per level,
 * with attributes in single quotes as libvirt writes them.
 *
 * An element opened with lab_xml_writer_start_inline() is written on one
 * line with everything inside it (<features><acpi/></features>), the
 * compact form labctl's guest and snapshot documents have always used.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LabXmlWriter LabXmlWriter;

LabXmlWriter *lab_xml_writer_new        (void);
void          lab_xml_writer_free       (LabXmlWriter *self);

void          lab_xml_writer_start      (LabXmlWriter *self,
                                         const char   *name);
/* Like lab_xml_writer_start(), but the element, its children and its end
 * tag stay on one line (inside an inline element every element is). */
void          lab_xml_writer_start_inline (LabXmlWriter *self,
                                         const char   *name);
/* Adds name='value' to the open start tag; value NULL: nothing. */
void          lab_xml_writer_attr       (LabXmlWriter *self,
                                         const char   *name,
                                         const char   *value);
/* lab_xml_writer_start() and its attributes in one call: name/value pairs
 * up to a NULL name (a NULL value leaves its attribute out, as
 * lab_xml_writer_attr() does). */
void          lab_xml_writer_start_attrs (LabXmlWriter *self,
                                         const char   *name,
                                         ...) G_GNUC_NULL_TERMINATED;
/* An element with attributes and nothing inside, <name a='1'/>, in one
 * call; the attributes as for lab_xml_writer_start_attrs(). */
void          lab_xml_writer_empty      (LabXmlWriter *self,
                                         const char   *name,
                                         ...) G_GNUC_NULL_TERMINATED;
void          lab_xml_writer_attr_printf (LabXmlWriter *self,
                                         const char   *name,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (3, 4);
void          lab_xml_writer_text       (LabXmlWriter *self,
                                         const char   *text);
void          lab_xml_writer_end        (LabXmlWriter *self);
/* <name>text</name> in one call; text NULL: nothing is written. */
void          lab_xml_writer_element    (LabXmlWriter *self,
                                         const char   *name,
                                         const char   *text);
void          lab_xml_writer_element_printf (LabXmlWriter *self,
                                         const char   *name,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (3, 4);
/* Closes every open element and returns the document. */
char         *lab_xml_writer_finish     (LabXmlWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabXmlWriter, lab_xml_writer_free)

G_END_DECLS
