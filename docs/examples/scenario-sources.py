# docs/scenarios.md: each scenario's date (as_of) and its sources with their dates, as the files list them.
from pathlib import Path

from sim import load_scenario

for path in sorted(Path("scenarios").glob("*.toml")):
    s = load_scenario(path)
    if s.as_of is None:
        continue
    print(f"**`{s.name}`** (as of {s.as_of}; calendar from {s.start_date}, {s.round_days:g} days a round):")
    print()
    for name, date in sorted(zip(s.sources, s.source_dates, strict=True), key=lambda item: item[1] or ""):
        print(f"- {date}: {name}")
    print()
