"""Build the Blender extension zip (add-on + core's numpy modules + default model).

Not built yet: the add-on and its packaging land with the batch-baking/extension issue. Until
then this script says so and fails, rather than producing an extension that does nothing.
"""

import sys

if __name__ == "__main__":
    sys.exit("build.py: the extension build is not implemented yet (the add-on issue comes first)")
