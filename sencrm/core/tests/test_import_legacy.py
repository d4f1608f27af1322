"""The legacy Vietnamese font encodings: every letter through our TCVN3 and VNI tables."""

import pytest

from sencrm.core.imports import legacy

LOWER = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"
UPPER_OWN_CODE = "ĂÂÊÔƠƯĐ"


@pytest.mark.parametrize("letter", list(LOWER + UPPER_OWN_CODE))
def test_tcvn3_round_trips_each_letter(letter):
    encoded = legacy.tcvn3_encode(letter)
    if letter not in "aeiouy":  # one Latin-1 character per Vietnamese letter
        assert len(encoded) == 1 and "\xa0" < encoded <= "\xfe"
    assert legacy.tcvn3_decode(encoded) == letter


@pytest.mark.parametrize("letter", list(LOWER.upper()))
def test_tcvn3_upper_case_toned_letters_come_back_lower_case(letter):
    # .VnTimeH drew capitals with the lower-case codes: case is lost, the letter is not.
    assert legacy.tcvn3_decode(legacy.tcvn3_encode(letter)) in (letter, letter.lower())


@pytest.mark.parametrize("letter", list(LOWER + LOWER.upper()))
def test_vni_round_trips_each_letter(letter):
    assert legacy.vni_decode(legacy.vni_encode(letter)) == letter


def test_known_samples():
    assert legacy.tcvn3_decode("NguyÔn V¨n §øc") == "Nguyễn Văn Đức"
    assert legacy.tcvn3_decode("Hµ Néi") == "Hà Nội"
    assert legacy.vni_decode("Nguyeãn Vaên Ñöùc") == "Nguyễn Văn Đức"
    assert legacy.vni_decode("Haø Noäi") == "Hà Nội"


@pytest.mark.parametrize(
    "text",
    ["Nguyễn Văn Đức, Hà Nội", "Công ty TNHH Giải pháp Số", "Trần Thị Thuỷ Dương — Phường Bến Nghé"],
)
def test_detection(text):
    assert legacy.detect_legacy(legacy.tcvn3_encode(text)) == "tcvn3"
    assert legacy.detect_legacy(legacy.vni_encode(text)) == "vni"
    assert legacy.detect_legacy(text) is None


@pytest.mark.parametrize("text", ["Siobhán O'Brien", "José Müller", "Ñandú Peña", "plain ascii"])
def test_western_text_is_left_alone(text):
    assert legacy.detect_legacy(text) is None
