"""A script prelude for subprocess tests: importing torch, scipy or soundfile fails after it runs."""

PRELUDE = '''
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "scipy", "soundfile"):
            raise ImportError(f"{name} is hidden for this test")

sys.meta_path.insert(0, Block())
'''
