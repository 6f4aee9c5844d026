from sim import NegotiationModel, load_scenario, run, solve, write_outcome

scenario = load_scenario("scenarios/geneva-2025-11.toml")
outcome = run(scenario, protocol="mediated", seed=3)  # -> Outcome (seed 3: a run of the file that ends in a deal)
print(outcome.agreement, outcome.round, outcome.deal["army_cap"], round(outcome.utilities["ukraine"], 3))
write_outcome(outcome, "results/mine")  # outcome.json, rounds.csv, figures
print(round(solve(scenario).nash["territory"], 3))  # a benchmark solution, in issue units

variant = scenario.with_values({"parties.russia.walkaway_drift": -0.01})
model = NegotiationModel(variant)  # the Mesa model: step and watch
model.step()
print(model.state.t, model.text[2])  # round 1, the army cap on the table
