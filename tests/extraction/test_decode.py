import codecs

import pytest

from extractors import ExtractError, extract
from extractors.decode import decode

REPORT = ("<html><head>{meta}<title>报告</title></head><body><div id='zoom'><p>一、总体情况</p><p>{body}</p></div>"
          "</body></html>")
BODY = "本机关2019年收到申请3件，联系人李喆、王昇，全部按期答复。" * 4


def test_meta_charset_wins_over_a_wrong_http_header():
    page = REPORT.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', body=BODY)
    text, used, warnings = decode(page.encode("gb18030"), {"Content-Type": "text/html; charset=utf-8"})
    assert used == "gb18030" and "李喆、王昇" in text
    assert any("trusted the page" in w for w in warnings)


def test_gbk_declared_page_is_read_as_gb18030_so_nothing_is_truncated():
    page = REPORT.format(meta='<meta charset="gbk">', body=BODY)
    report = extract(page.encode("gb18030"))
    assert report.text.count("李喆、王昇") == 4


def test_bom_comes_first():
    page = REPORT.format(meta='<meta charset="gbk">', body=BODY)
    text, used, _ = decode(codecs.BOM_UTF8 + page.encode("utf-8"))
    assert used == "utf-8-sig" and "王昇" in text


def test_undeclared_gbk_is_detected_and_said():
    page = REPORT.format(meta="", body=BODY)
    text, used, warnings = decode(page.encode("gb18030"), {"Content-Type": "text/html"})
    assert used == "gb18030" and "王昇" in text
    assert any("guessed" in w for w in warnings)


def test_replacement_characters_are_reported():
    page = REPORT.format(meta='<meta charset="utf-8">', body=BODY).encode("utf-8")
    broken = page.replace("总体".encode(), b"\xff\xfe\xfd", 1)
    report = extract(broken)
    assert any("U+FFFD" in w for w in report.warnings)


@pytest.mark.parametrize("body", [b"", b"   \n", bytes(range(256)) * 40, b"\x00\x01\x02binary" * 10])
def test_unreadable_input_raises_a_clear_error(body):
    with pytest.raises(ExtractError):
        extract(body)


def test_caller_encoding_overrides_everything():
    text, used, _ = decode("統計數".encode("big5"), encoding="big5",
                           headers={"Content-Type": "text/html; charset=utf-8"})
    assert (text, used) == ("統計數", "big5hkscs")
