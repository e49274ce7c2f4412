"""Watch streams (the watch-streams case): one event every 4 s per active stream.

A viewer's session (one session_id, one device) watches a program, then switches to another,
pauses (a short pause keeps the stream; one over 60 s ends it) or leaves. `start_time` is when
the current program started; every event repeats it with the current `event_time`.
"""

from __future__ import annotations

from pathlib import Path

from pulse.generate.core import Dataset, Picker, UserPool, iso_ms, uuid_text, zipf_weights
from pulse.generate.formats import write_jsonl

DEVICES = ("apple_tv", "iphone", "ipad", "android_tv", "android_phone", "web", "roku", "chromecast")
TICK = 4.0


class WatchEvents(Dataset):
    name = "watch_events"
    help = "watch-stream heartbeats every 4 s (topic watch_events; JSON lines as files)"
    fields = ("user_id", "program_id", "start_time", "session_id", "device", "event_time")
    sessions_per_user_day = 1.2
    bad_kinds = ("malformed_json", "missing_field", "wrong_type", "negative_duration")
    wrong_types = {"event_time": "not-a-time", "start_time": "12:34"}

    def setup(self) -> None:
        self.pool = UserPool(self.plan, self.users)
        self._program = Picker(self.np_rng, zipf_weights(self.plan.catalog or 500, 1.05))

    def session(self, t: float):
        rng = self.rng
        u = self.pool.acquire(t)
        gidx = self.pool.global_index(self.plan, u)
        user = f"u{gidx:07d}"
        device = DEVICES[(gidx * 7 + rng.randrange(2)) % len(DEVICES)]  # one or two devices per user
        session_id = uuid_text(rng)
        while True:
            program = f"prog-{self._program():05d}"
            start = t
            ticks = max(1, int(rng.lognormvariate(5.5, 0.9) / TICK))  # median ~4 min
            for _ in range(ticks):
                yield (t, user, program, start, session_id, device)
                t += TICK + rng.uniform(-0.05, 0.05)
            r = rng.random()
            if r < 0.45:
                continue  # switch program
            if r < 0.60:
                t += rng.uniform(10, 50)  # short pause: the stream goes on
                continue
            if r < 0.70:
                t += rng.uniform(70, 300)  # long pause: this stream ends, the session goes on
                continue
            break
        self.pool.release(u, t + rng.uniform(600, 6 * 3600))

    def as_dict(self, rec, shift: float = 0.0) -> dict:
        # A late heartbeat arrives after later ones: its event_time lies back, its program start does not.
        return {"user_id": rec[1], "program_id": rec[2], "start_time": iso_ms(rec[3]),
                "session_id": rec[4], "device": rec[5], "event_time": iso_ms(rec[0] + shift)}

    def kafka_key(self, rec) -> bytes:
        return rec[4].encode()

    def kafka_value(self, rec, shift: float = 0.0) -> bytes:
        return (f'{{"user_id":"{rec[1]}","program_id":"{rec[2]}","start_time":"{iso_ms(rec[3])}",'
                f'"session_id":"{rec[4]}","device":"{rec[5]}","event_time":"{iso_ms(rec[0] + shift)}"}}').encode()

    def required_fields(self) -> tuple[str, ...]:
        return ("user_id", "session_id", "event_time")

    def negate_duration(self, d: dict) -> None:
        d["start_time"], d["event_time"] = d["event_time"], d["start_time"]
        if d["start_time"] == d["event_time"]:
            d["event_time"] = "2001-01-01T00:00:00.000Z"

    def write_files(self, stream, out: Path) -> list:
        path = out / "watch_events.jsonl"
        write_jsonl(self, stream, path)
        return [path]
