#!/usr/bin/python3
# Regenerates NAME.blocks.json (the code blocks cmdtest yarn sees) for every
# NAME.md here, with the reference's own parser: /usr/bin/python3 gen-expected.py
import glob, json, sys
sys.path.insert(0, '/usr/lib/python3/dist-packages')
import yarnlib
for path in sorted(glob.glob('*.md')):
    p = yarnlib.MarkdownParser()
    p.parse_file(path)
    with open(path[:-3] + '.blocks.json', 'w') as f:
        json.dump(p.blocks, f, indent=1)
        f.write('\n')
