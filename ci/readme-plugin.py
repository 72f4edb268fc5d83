#!/usr/bin/env python3
"""Writes the plugin project the README's "Writing a plugin" guide builds, from its code blocks alone.

Usage: readme-plugin.py README.md DIR. ci/maven-path.sh then builds and tests DIR offline, so the
guide a newcomer follows is itself tested: every snippet must compile and its test pass as written.
"""
import pathlib
import re
import sys

readme, out = pathlib.Path(sys.argv[1]).read_text(), pathlib.Path(sys.argv[2])
guide = readme[readme.index("## Writing a plugin"):readme.index("\n## ", readme.index("## Writing a plugin") + 3)]
package = "com/example/postcode"
files = {}
for lang, body in re.findall(r"```(\w*)\n(.*?)```", guide, flags=re.S):
    if lang == "xml" and "<project" in body:
        files["pom.xml"] = body
    elif lang == "java":
        declared = re.search(r"^(?:(?:public|final|abstract) )*(?:class|record|interface|module) ([\w.]+)", body,
                             flags=re.M)
        if declared is None:
            continue  # a fragment that illustrates a point, not a file of the project
        name = declared.group(1)
        if name == "com.example.postcode":
            files["src/main/java/module-info.java"] = body
        else:
            root = "src/test/java" if name.endswith("Test") else "src/main/java"
            prefix = "" if body.lstrip().startswith("package ") else "package com.example.postcode;\n\n"
            files[f"{root}/{package}/{name}.java"] = prefix + body
files["src/main/resources/META-INF/services/io.jvmm.api.resource.ResourceResolver"] = \
    "com.example.postcode.PostCodeResolver\n"
needed = ["pom.xml", "src/main/java/module-info.java", f"src/main/java/{package}/PostCodeHandle.java",
          f"src/main/java/{package}/PostCodeResolver.java", f"src/main/java/{package}/PostCodeDevice.java",
          f"src/test/java/{package}/PostCodeResolverTest.java"]
missing = [f for f in needed if f not in files]
if missing:
    sys.exit("readme-plugin: the README's guide has no code block for " + ", ".join(missing))
for path, text in files.items():
    (out / path).parent.mkdir(parents=True, exist_ok=True)
    (out / path).write_text(text)
print(f"readme-plugin: {len(files)} files from the README in {out}")
