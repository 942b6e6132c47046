"""Verification codes: unguessable, forgiving to type, never stored in clear."""

from portal.documents import services


def test_codes_are_long_random_and_grouped():
    codes = {services.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code.replace("-", "")) == 20 and code.count("-") == 4  # 20 base32 chars = 100 bits
        assert services.normalise_code(code) == code


def test_typing_mistakes_are_forgiven_but_not_garbage():
    assert services.normalise_code(" abcd efgh-jklm NPQR stuv ") == "ABCD-EFGH-JKLM-NPQR-STUV"
    assert services.normalise_code("ABCD-EFGH-JKLM-NPQR-STU0") == "ABCD-EFGH-JKLM-NPQR-STUO"
    for bad in (None, "", "ABCD", "ABCD-EFGH-JKLM-NPQR-STUV-W", "ABCD-EFGH-JKLM-NPQR-STU9", "../../etc/passwd"):
        assert services.normalise_code(bad) is None


def test_reference_is_masked_in_the_middle():
    assert services.mask_reference("AK-2026-004211") == "AK-****-***211"
    assert services.mask_reference("ABCDEFGH") == "AB***FGH"


def test_only_the_hash_is_kept():
    code = services.new_code()
    assert code not in services.code_hash(code) and len(services.code_hash(code)) == 64
