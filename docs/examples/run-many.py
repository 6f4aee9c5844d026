from sim import load_scenario, run_many

table = run_many(
    load_scenario("scenarios/geneva-2025-11.toml"),
    {"parties.russia.walkaway_drift": [-0.01, -0.005, 0.0]},
    seeds=[3, 3, 3],  # one seed for all three: only the drift differs
)
print(table[["agreement", "ended_by", "round", "deal.army_cap", "utility.ukraine", "distance_to_nash"]])
