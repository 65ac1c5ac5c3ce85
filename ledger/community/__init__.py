"""The community module: benefit sharing (收益分配) of the revenue a village collective received
from its forests' carbon, with the village's households: rosters, sharing rules exact to the
fen, the villagers' assembly, the public notice, finalised allocations, bank payouts, slips and
notices (see ``docs/community.md``)."""
