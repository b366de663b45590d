/* lab-xml-reader.h: reading XML documents (libvirt's domain, network and
 * snapshot XML) with XPath queries, through libxml2.
 *
 * The counterpart of lab-xml-writer.h: a document is parsed once, then
 * asked for strings, nodes and attributes by XPath (1.0) expressions,
 * relative to the document or to a node found before. Namespace prefixes
 * used in the queries are registered with lab_xml_reader_register_ns()
 * (labctl's own metadata namespace: lab_virt_xml_reader_new() in
 * lab-virt-xml.h). Nothing is fetched from the network and no entity is
 * expanded. libxml2's own printing to stderr is off; a document that does
 * not parse is a GError naming it, the line and libxml2's reason.
 *
 * The queries are part of the code, not input: an invalid XPath
 * expression is a programming error (g_critical). A reader is used by one
 * thread at a time (each query sets its context node).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LabXmlReader LabXmlReader;
/* An element (or attribute) of a reader's document, valid while the
 * reader lives. */
typedef struct _LabXmlNode LabXmlNode;

/* what names the document in the error, e.g. "the domain XML of pve1".
 * LAB_ERROR_FAILED when xml is not well-formed. */
LabXmlReader *lab_xml_reader_new          (const char   *xml,
                                           const char   *what,
                                           GError      **error);
void          lab_xml_reader_free         (LabXmlReader *self);
void          lab_xml_reader_register_ns  (LabXmlReader *self,
                                           const char   *prefix,
                                           const char   *uri);

/* In the queries below, context NULL is the document itself.
 *
 * The string value of xpath: of the first node it selects (an attribute's
 * value, an element's text), or the value of a string, number or boolean
 * expression; NULL when it selects no node. */
char         *lab_xml_reader_get_string   (LabXmlReader *self,
                                           LabXmlNode   *context,
                                           const char   *xpath);
/* The nodes xpath selects, in document order (never NULL; the array
 * does not own them). */
GPtrArray    *lab_xml_reader_get_nodes    (LabXmlReader *self,
                                           LabXmlNode   *context,
                                           const char   *xpath);
/* TRUE when xpath selects at least one node (or is a true boolean). */
gboolean      lab_xml_reader_exists       (LabXmlReader *self,
                                           LabXmlNode   *context,
                                           const char   *xpath);

/* The attribute name (without a namespace) of an element; NULL when it
 * has none. */
char         *lab_xml_node_get_attr       (LabXmlNode   *node,
                                           const char   *name);

/* An element and its children as XML text (as in the document; no
 * declaration); NULL when node is no element. */
char         *lab_xml_node_to_string      (LabXmlNode   *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LabXmlReader, lab_xml_reader_free)

G_END_DECLS
