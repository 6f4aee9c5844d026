from sim import load_scenario, run_many

table = run_many(
    load_scenario("scenarios/geneva-2025-11.toml"), {"parties.russia.walkaway_drift": [-0.01, -0.005, 0.0]}
)
print(table[["agreement", "round", "deal.army_cap", "utility.ukraine", "distance_to_nash"]])
