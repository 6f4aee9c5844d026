# Every protocol on the two classroom cases (the table of negsim compare-protocols, without its timings).
from sim import load_scenario
from sim.report.compare import compare_protocols

for name in ("classroom-two-party", "classroom-logroll"):
    print(compare_protocols(load_scenario(f"scenarios/{name}.toml")).report(timings=False))
    print()
