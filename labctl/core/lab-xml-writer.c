/* lab-xml-writer.c: a small streaming XML writer (see lab-xml-writer.h). */
#include "config.h"

#include "lab-xml-writer.h"

#include <stdarg.h>

struct _LabXmlWriter {
  GString   *out;
  GPtrArray *stack;       /* open element names */
  gboolean   tag_open;    /* "<name attr='...'" written, '>' not yet */
  gboolean   has_text;    /* the innermost element has text content */
  gboolean   has_children;
  guint      inline_depth; /* depth of the outermost one-line element; 0: none */
};

LabXmlWriter *
lab_xml_writer_new (void)
{
  LabXmlWriter *self = g_new0 (LabXmlWriter, 1);

  self->out = g_string_new (NULL);
  self->stack = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
lab_xml_writer_free (LabXmlWriter *self)
{
  if (self == NULL)
    return;
  g_string_free (self->out, TRUE);
  g_ptr_array_unref (self->stack);
  g_free (self);
}

static void
indent (LabXmlWriter *self)
{
  for (guint i = 0; i < self->stack->len; i++)
    g_string_append (self->out, "  ");
}

static void
append_escaped (GString *out, const char *text, gboolean attribute)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '\'':
          if (attribute)
            g_string_append (out, "&apos;");
          else
            g_string_append_c (out, *p);
          break;
        case '"':
          if (attribute)
            g_string_append (out, "&quot;");
          else
            g_string_append_c (out, *p);
          break;
        default:
          g_string_append_c (out, *p);
        }
    }
}

static void
close_start_tag (LabXmlWriter *self)
{
  if (self->tag_open)
    {
      g_string_append_c (self->out, '>');
      self->tag_open = FALSE;
    }
}

void
lab_xml_writer_start (LabXmlWriter *self, const char *name)
{
  if (self->inline_depth > 0)
    close_start_tag (self);
  else
    {
      if (self->tag_open)
        {
          close_start_tag (self);
          g_string_append_c (self->out, '\n');
        }
      else if (self->stack->len > 0 && !self->has_children && !self->has_text)
        g_string_append_c (self->out, '\n');
      indent (self);
    }
  g_string_append_printf (self->out, "<%s", name);
  g_ptr_array_add (self->stack, g_strdup (name));
  self->tag_open = TRUE;
  self->has_text = FALSE;
  self->has_children = FALSE;
}

void
lab_xml_writer_start_inline (LabXmlWriter *self, const char *name)
{
  lab_xml_writer_start (self, name);
  if (self->inline_depth == 0)
    self->inline_depth = self->stack->len;
}

void
lab_xml_writer_attr (LabXmlWriter *self, const char *name, const char *value)
{
  g_return_if_fail (self->tag_open);
  if (value == NULL)
    return;
  g_string_append_printf (self->out, " %s='", name);
  append_escaped (self->out, value, TRUE);
  g_string_append_c (self->out, '\'');
}

static void
start_attrs_valist (LabXmlWriter *self, const char *name, va_list ap)
{
  lab_xml_writer_start (self, name);
  for (const char *attr = va_arg (ap, const char *); attr != NULL; attr = va_arg (ap, const char *))
    lab_xml_writer_attr (self, attr, va_arg (ap, const char *));
}

void
lab_xml_writer_start_attrs (LabXmlWriter *self, const char *name, ...)
{
  va_list ap;

  va_start (ap, name);
  start_attrs_valist (self, name, ap);
  va_end (ap);
}

void
lab_xml_writer_empty (LabXmlWriter *self, const char *name, ...)
{
  va_list ap;

  va_start (ap, name);
  start_attrs_valist (self, name, ap);
  va_end (ap);
  lab_xml_writer_end (self);
}

void
lab_xml_writer_attr_printf (LabXmlWriter *self, const char *name, const char *format, ...)
{
  g_autofree char *value = NULL;
  va_list ap;

  va_start (ap, format);
  value = g_strdup_vprintf (format, ap);
  va_end (ap);
  lab_xml_writer_attr (self, name, value);
}

void
lab_xml_writer_text (LabXmlWriter *self, const char *text)
{
  g_return_if_fail (self->stack->len > 0);
  close_start_tag (self);
  append_escaped (self->out, text, FALSE);
  self->has_text = TRUE;
}

void
lab_xml_writer_end (LabXmlWriter *self)
{
  g_autofree char *name = NULL;
  gboolean in_line = self->inline_depth > 0;

  g_return_if_fail (self->stack->len > 0);
  name = g_ptr_array_steal_index (self->stack, self->stack->len - 1);
  if (self->tag_open)
    {
      g_string_append (self->out, "/>");
      self->tag_open = FALSE;
    }
  else
    {
      if (!self->has_text && !in_line)
        indent (self);
      g_string_append_printf (self->out, "</%s>", name);
    }
  /* a line ends after every element, except inside a one-line element */
  if (!in_line || self->stack->len + 1 == self->inline_depth)
    {
      g_string_append_c (self->out, '\n');
      self->inline_depth = 0;
    }
  /* the parent now has (at least) one child element */
  self->has_text = FALSE;
  self->has_children = TRUE;
}

void
lab_xml_writer_element (LabXmlWriter *self, const char *name, const char *text)
{
  if (text == NULL)
    return;
  lab_xml_writer_start (self, name);
  lab_xml_writer_text (self, text);
  lab_xml_writer_end (self);
}

void
lab_xml_writer_element_printf (LabXmlWriter *self, const char *name, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  lab_xml_writer_element (self, name, text);
}

char *
lab_xml_writer_finish (LabXmlWriter *self)
{
  while (self->stack->len > 0)
    lab_xml_writer_end (self);
  return g_strdup (self->out->str);
}
