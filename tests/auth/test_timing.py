"""No timing difference between an unknown reference, a wrong factor and a locked case."""

import random
import statistics
import time
from datetime import date

from tests.auth.conftest import csrf_from, post_sign_in

SAMPLES = 100
DOB = date(1980, 4, 12)


def test_median_response_times_differ_by_less_than_5_ms(app, make_case, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_IP_LIMIT", "100000 per minute")
    make_case(reference="AK-TIME-000001")
    make_case(reference="AK-TIME-000002")
    locker = app.test_client()
    for i in range(app.config["VERIFICATION_MAX_FAILURES"]):
        post_sign_in(locker, "AK-TIME-000002", dob=date(1990, 1, 1), ip=f"198.51.100.{i}")
    scenarios = {
        "unknown": ("ZZ-TIME-999999", DOB),
        "wrong": ("AK-TIME-000001", date(1980, 4, 13)),
        "locked": ("AK-TIME-000002", DOB),
    }
    clients = {name: app.test_client() for name in scenarios}
    tokens = {name: csrf_from(c.get("/sign-in").get_data(as_text=True)) for name, c in clients.items()}
    timings = {name: [] for name in scenarios}
    order = list(scenarios)
    shuffle = random.Random(1234).shuffle
    for i in range(SAMPLES + 10):
        shuffle(order)  # interleaved in a changing order, so drift and position weigh on all alike
        this_round = {}
        for name in order:
            reference, dob = scenarios[name]
            data = {"csrf_token": tokens[name], "reference": reference, "dob_day": str(dob.day),
                    "dob_month": str(dob.month), "dob_year": str(dob.year), "postcode": ""}
            start = time.perf_counter()
            response = clients[name].post("/sign-in", data=data)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200
            this_round[name] = elapsed
        if i >= 10:  # the first rounds warm caches up
            # Each sample is taken relative to its own round's mean, so a machine that slows
            # down for a while (other processes) shifts all three alike and cancels out.
            mean = statistics.fmean(this_round.values())
            for name, elapsed in this_round.items():
                timings[name].append(elapsed - mean)
    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    spread = max(medians.values()) - min(medians.values())
    print(f"median ms relative to the round: {medians} spread {spread:.3f} ms")
    assert spread < 5, medians
