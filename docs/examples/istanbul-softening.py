# istanbul-2022 as in the file, then with Russia's red line on the guarantee softening faster.
from sim import load_scenario, run

scenario = load_scenario("scenarios/istanbul-2022.toml")
for soften in (0.005, 0.01, 0.02):
    out = run(scenario.with_values({"parties.russia.red_lines.guarantee.soften": soften}))
    failed = [f"{e['party']} in round {e['round']}" for e in out.ratification_failures()]
    ends = f"deal in round {out.round}" if out.agreement else f"no deal in {out.end_round} rounds"
    print(f"Russia softens {soften} a round: {ends}; failed ratifications: {', '.join(failed) or 'none'}")
