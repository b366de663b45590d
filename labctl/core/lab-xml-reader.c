/* lab-xml-reader.c: XPath queries on an XML document through libxml2
 * (see lab-xml-reader.h). */
#include "config.h"

#include "lab-xml-reader.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "lab-error.h"
#include "lab-i18n.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathObject, xmlXPathFreeObject)

struct _LabXmlReader {
  xmlDocPtr          doc;
  xmlXPathContextPtr xpath;
};

static void
init_libxml (void)
{
  static gsize once = 0;

  /* libxml2 wants its globals set up once, before threads use it */
  if (g_once_init_enter (&once))
    {
      xmlInitParser ();
      g_once_init_leave (&once, 1);
    }
}

/* libxml2 strings are its allocator's */
static char *
take_xml_string (xmlChar *text)
{
  char *copy = g_strdup ((const char *) text);

  xmlFree (text);
  return copy;
}

static void
quiet_xpath_error (void *user_data, xmlErrorPtr err)
{
  /* without a handler libxml2 prints XPath errors to stderr; evaluate()
   * reports them itself */
}

/* The parser goes on after an error and reports what follows from it
 * ("Premature end of data"): the first error is the one that says what is
 * wrong. The context is the parser's (its _private holds the copy). */
static void
keep_first_error (void *user_data, xmlErrorPtr err)
{
  xmlParserCtxtPtr ctxt = user_data;
  xmlErrorPtr first = ctxt->_private;

  if (first->code == XML_ERR_OK && err->level >= XML_ERR_ERROR)
    xmlCopyError (err, first);
}

LabXmlReader *
lab_xml_reader_new (const char *xml, const char *what, GError **error)
{
  xmlParserCtxtPtr ctxt;
  xmlError first = { 0 };
  xmlDocPtr doc = NULL;
  LabXmlReader *self;

  g_return_val_if_fail (xml != NULL, NULL);
  init_libxml ();
  ctxt = xmlNewParserCtxt ();
  if (ctxt != NULL)
    {
      ctxt->_private = &first;
      ctxt->sax->serror = keep_first_error;
      /* no network, no entity expansion, no DTD; errors to keep_first_error, none printed */
      doc = xmlCtxtReadMemory (ctxt, xml, (int) strlen (xml), NULL, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    }
  if (doc == NULL)
    {
      g_autofree char *reason = g_strdup (first.message != NULL ? first.message : _("unknown error"));

      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("Cannot parse %s: line %d: %s"),
                   what, first.line, g_strstrip (reason));
    }
  xmlResetError (&first);
  if (ctxt != NULL)
    xmlFreeParserCtxt (ctxt);
  if (doc == NULL)
    return NULL;

  self = g_new0 (LabXmlReader, 1);
  self->doc = doc;
  self->xpath = xmlXPathNewContext (doc);
  self->xpath->error = quiet_xpath_error;
  return self;
}

void
lab_xml_reader_free (LabXmlReader *self)
{
  if (self == NULL)
    return;
  xmlXPathFreeContext (self->xpath);
  xmlFreeDoc (self->doc);
  g_free (self);
}

void
lab_xml_reader_register_ns (LabXmlReader *self, const char *prefix, const char *uri)
{
  xmlXPathRegisterNs (self->xpath, (const xmlChar *) prefix, (const xmlChar *) uri);
}

static xmlXPathObjectPtr
evaluate (LabXmlReader *self, LabXmlNode *context, const char *xpath)
{
  xmlXPathObjectPtr result;

  self->xpath->node = context != NULL ? (xmlNodePtr) context : (xmlNodePtr) self->doc;
  result = xmlXPathEval ((const xmlChar *) xpath, self->xpath);
  if (result == NULL)
    {
      g_autofree char *why = g_strdup (self->xpath->lastError.message != NULL
                                       ? self->xpath->lastError.message : "?");
      g_critical ("invalid XPath expression \"%s\": %s", xpath, g_strstrip (why));
    }
  return result;
}

char *
lab_xml_reader_get_string (LabXmlReader *self, LabXmlNode *context, const char *xpath)
{
  g_autoptr(xmlXPathObject) result = evaluate (self, context, xpath);

  if (result == NULL)
    return NULL;
  if (result->type != XPATH_NODESET)
    return take_xml_string (xmlXPathCastToString (result));
  if (xmlXPathNodeSetIsEmpty (result->nodesetval))
    return NULL;
  return take_xml_string (xmlXPathCastNodeToString (result->nodesetval->nodeTab[0]));
}

GPtrArray *
lab_xml_reader_get_nodes (LabXmlReader *self, LabXmlNode *context, const char *xpath)
{
  g_autoptr(xmlXPathObject) result = evaluate (self, context, xpath);
  GPtrArray *nodes = g_ptr_array_new ();

  if (result != NULL && result->type == XPATH_NODESET && result->nodesetval != NULL)
    for (int i = 0; i < result->nodesetval->nodeNr; i++)
      g_ptr_array_add (nodes, result->nodesetval->nodeTab[i]);
  return nodes;
}

gboolean
lab_xml_reader_exists (LabXmlReader *self, LabXmlNode *context, const char *xpath)
{
  g_autoptr(xmlXPathObject) result = evaluate (self, context, xpath);

  if (result == NULL)
    return FALSE;
  if (result->type == XPATH_NODESET)
    return !xmlXPathNodeSetIsEmpty (result->nodesetval);
  return xmlXPathCastToBoolean (result) != 0;
}

char *
lab_xml_node_get_attr (LabXmlNode *node, const char *name)
{
  xmlNodePtr element = (xmlNodePtr) node;

  if (element == NULL || element->type != XML_ELEMENT_NODE)
    return NULL;
  return take_xml_string (xmlGetNoNsProp (element, (const xmlChar *) name));
}

char *
lab_xml_node_to_string (LabXmlNode *node)
{
  xmlNodePtr element = (xmlNodePtr) node;
  xmlBufferPtr buf;
  char *text;

  if (element == NULL || element->type != XML_ELEMENT_NODE)
    return NULL;
  buf = xmlBufferCreate ();
  xmlNodeDump (buf, element->doc, element, 0, 0);
  text = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  return text;
}
