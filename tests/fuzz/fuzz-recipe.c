/* fuzz-recipe.c: the recipe parser (recipe/lab-recipe.c) on a .lab file,
 * and the exports of what it accepts (JSON, key file). */
#include "config.h"

#include <json-glib/json-glib.h>

#include "fuzz.h"
#include "lab-recipe.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  LabRecipe *recipe;

  fuzz_setup ();
  recipe = lab_recipe_load_data ((const char *) data, size, "/fuzz/input.lab", &error);
  g_assert ((recipe == NULL) == (error != NULL));
  if (recipe != NULL)
    {
      JsonNode *json = lab_recipe_to_json (recipe);
      g_autofree char *keyfile = lab_recipe_to_keyfile (recipe);

      g_assert (json != NULL && keyfile != NULL);
      json_node_unref (json);
      lab_recipe_free (recipe);
    }
  return 0;
}
