# Exercise 4 of docs/teaching.md: students in Ukraine's seat, each playing one way; the model plays the others.
from _teaching import GENEVA, ISSUES, table

from sim import load_scenario
from sim.ui.play import Game

scenario = load_scenario(GENEVA)
IDEAL = scenario.party("ukraine").ideal
SEED = 3  # a run of the file that ends in a deal (the file's own seed 7 breaks down in round 11 whatever Ukraine does)


def play(protocol: str, choose) -> list[str]:
    """Ukraine's seat played by ``choose(game, turn) -> (answer, demand, offer)`` to the end."""
    game = Game(scenario, "ukraine", protocol, SEED, scenario.rounds, GENEVA)
    while not game.done:
        turn = game.turn()
        game.move(*choose(game, turn))
    result = game.result()
    state = game.model.state
    if result.deal:
        deal = scenario.to_units(state.deal[0], on_grid=True)
        values = dict(zip(scenario.issue_ids, deal, strict=True))
        terms = [scenario.issue(i).format(values[i]).split(" (")[0].replace(" thousand troops", "k") for i in ISSUES]
        ends = f"deal, round {result.round}"
    else:
        terms, ends = ["-"] * len(ISSUES), f"no deal ({result.ended_by.replace('_', ' ')}, round {result.round})"
    return [ends, *terms, f"{result.utility:.3f}", f"{result.model_utility:.3f}", f"{round(result.utility - result.model_utility, 3) + 0.0:+.3f}"]


def model_move(game, turn):
    s = turn.suggestion
    return s.get("answer"), s.get("demand"), s.get("offer")


def accept_all(game, turn):
    return ("accept", None, None) if not turn.proposes else (None, None, turn.suggestion["offer"])


def hold_out_until(last_round: int):
    def choose(game, turn):
        if turn.round >= last_round or turn.proposes:
            return ("accept", None, None) if not turn.proposes else (None, None, turn.suggestion["offer"])
        return "object", dict(IDEAL), None  # ask for everything: Ukraine's ideal on every issue

    return choose


def accept_above_walkaway(game, turn):
    """Take any text worth at least the walk-away value and inside the red lines; else ask what the model asks."""
    if turn.utility >= turn.walkaway and turn.inside:
        return "accept", None, None
    return model_move(game, turn)


def trade_army_cap(game, turn):
    """Object with the model's demand, but ask for 800k on the army cap and give ground on the guarantee."""
    answer, demand, offer = model_move(game, turn)
    if answer == "object":
        demand = {**demand, "army_cap": 800.0, "security_guarantee": turn.text["security_guarantee"]}
    return answer, demand, offer


rows = [
    ["the model's own move every round", *play("mediated", model_move)],
    ["accept every text", *play("mediated", accept_all)],
    ["accept any text above the walk-away", *play("mediated", accept_above_walkaway)],
    ["ask for everything until round 10, then accept", *play("mediated", hold_out_until(10))],
    ["ask for everything until round 30, then accept", *play("mediated", hold_out_until(30))],
    ["trade: 800k army cap for the guarantee", *play("mediated", trade_army_cap)],
    ["alternating: the model's own move", *play("alternating", model_move)],
    ["alternating: accept every offer", *play("alternating", accept_all)],
]
header = ["Ukraine's seat played as", "ends", *ISSUES.values(), "Ukraine's utility", "model's agent", "difference"]
print(table(header, rows))
