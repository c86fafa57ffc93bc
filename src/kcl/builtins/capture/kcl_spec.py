"""KCL source text for the tagged fixture values (shared by the capture scripts)."""
# Spec values: JSON-like with tags: {"$f": 1.5} float, {"$u": [1, "Gi"]} unit, {"$undef": 1}, {"$fn": 1}
import json
def kcl(v):
    if v is None: return "None"
    if v is True: return "True"
    if v is False: return "False"
    if isinstance(v, int): return str(v)
    if isinstance(v, str): return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list): return "[" + ", ".join(kcl(x) for x in v) + "]"
    if isinstance(v, dict):
        if len(v) == 1 and "$f" in v:
            r = repr(float(v["$f"]))
            return r
        if len(v) == 1 and "$u" in v: return f'{v["$u"][0]}{v["$u"][1]}'
        if len(v) == 1 and "$undef" in v: return "Undefined"
        if len(v) == 1 and "$fn" in v: return "lambda x {x}"
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {kcl(x)}" for k, x in v.items()) + "}"
    raise Exception(v)
