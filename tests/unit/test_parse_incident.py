"""incident_report (text/003, 報告第360号): every field and every event of the 経過, read by eye."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.documents import segments
from pipeline.read.text import read_text, split_lines
from schemas.records import IncidentEvent

D = dt.date

# The 経過 of text/003 lines 698-707; month-days resolved before the report's date (令和5年8月18日).
EVENTS = [
    (
        D(2023, 6, 26),
        "平成30年度中に相談が終結した(区外転居を含む)「精神保健相談記録」一式(以下「本件文書」という。)を文書箱へ"
        "納める。本件文書は5年の保存期間を定めているものであり、文書箱には「平成30年度文書、令和6年3月廃棄」と記載し、"
        "職員2名で地下文書庫へ移動させた。",
    ),
    (
        D(2023, 6, 27),
        "廃棄対象の文書箱の確認作業を職員1名で実施した。廃棄対象(保存期間を満了した)文書であるかを確認し、"
        "廃棄対象の文書箱総数を算出した。\nこのとき、本件文書を収めた文書箱を誤って廃棄対象としたと推測される。",
    ),
    (
        D(2023, 7, 3),
        "砧総合支所における廃棄文書の一括回収のため、職員2名で搬出作業を実施。搬出の際、廃棄する文書箱として引き渡す"
        "総数の再確認は行ったが、実際に廃棄対象の文書であるかの確認は行われないうまま、搬出作業を終了した。",
    ),
    (
        D(2023, 7, 7),
        "他自治体より照会があり、文書庫を確認したところ、本件文書がないことが発覚する。文書庫内を捜索しても発見できな"
        "かったため、誤って3日(月)に搬出したと判断。搬出した文書は当日中に溶解処理工場に搬入され、溶解処理が済んでいる"
        "ことを確認したことから、本件文書は滅失したものと判断した。",
    ),
    (
        D(2023, 7, 10),
        "本件文書には要配慮個人情報が含まれており、本件文書の滅失は法施行規則第43条第1号に掲げる事態に該当することから、"
        "個人情報保護委員会へ法第68条第1項、法施行規則第44条第1項の報告(速報)を実施した。",
    ),
    (D(2023, 7, 27), "福祉保健常任委員会で本事案について報告した。"),
    (
        D(2023, 8, 4),
        "本人への通知が困難な状況であることから、法第68条第2項第1号に基づき、代替措置として本事案を区のホームページで"
        "公表した。同日、個人情報保護委員会へ法第68条第1項、法施行規則第44条第2項の報告(確報)を実施した。",
    ),
]


@pytest.fixture(scope="module")
def incident(corpus_text):
    from pipeline.documents.incident import parse_incident

    name, data = corpus_text("003")
    seg = segments(read_text(data, name).lines)[1]
    assert (seg.doc_type, seg.report_no) == ("incident_report", 360)
    incidents, notices = parse_incident(seg, "doc003b")
    assert notices == []
    (inc,) = incidents
    return inc


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("document_id", "doc003b"),
        ("report_no", 360),
        ("title", "個人情報を含む保存期間中の文書の誤廃棄について"),
        # The issuing lines under the date, as the registry names them: 総合支所 names stay whole,
        # `総務部 区政情報課` is the registered 区政情報課 printed with its 部.
        ("departments", ["砧総合支所保健福祉センター健康づくり課", "区政情報課"]),
        ("incident_kind", "誤廃棄"),
        ("affected_count", 40),  # 約40件(平成30年度中に…)
        ("affected_unit", "件"),
        ("records", "精神保健相談記録"),
        ("occurred_on", D(2023, 6, 26)),
        ("discovered_on", D(2023, 7, 7)),  # (4) …本件文書がないことが発覚する。
    ],
)
def test_fields(incident, field, expected):
    assert getattr(incident, field) == expected


@pytest.mark.parametrize(("i", "event"), list(enumerate(EVENTS)))
def test_every_event(incident, i, event):
    assert incident.events[i] == IncidentEvent(date=event[0], text=event[1])


def test_event_count(incident):
    assert len(incident.events) == len(EVENTS)


def _parse(text: str):
    from pipeline.documents.incident import parse_incident

    (seg,) = segments(split_lines(text))
    return parse_incident(seg, "x")


REPORT = """報告第12号
個人情報を含む書類の紛失について
令和6年1月10日
子ども家庭課

1 事案の概要
(1) 紛失した書類の名称
児童手当申請書
(2) 本人の数
１２名
2 事案の経過
(1) 12月25日(月) 窓口で受け付けた。
(2) 令和6年1月5日(金) 書類がないことに気付いた。
(3) 1月9日(火) 公表した。
3 今後の対応
再発防止に努める。
"""


def test_month_days_before_a_january_report_take_the_previous_year():
    """A short dated item (`(1) 12月25日(月) …`) is an event, not a heading; December is last year."""
    (inc,), notices = _parse(REPORT)
    assert notices == []
    assert [(e.date, e.text) for e in inc.events] == [
        (D(2023, 12, 25), "窓口で受け付けた。"),
        (D(2024, 1, 5), "書類がないことに気付いた。"),
        (D(2024, 1, 9), "公表した。"),
    ]
    assert (inc.incident_kind, inc.records, inc.affected_count, inc.affected_unit) == (
        "紛失",
        "児童手当申請書",
        12,
        "名",
    )
    assert (inc.occurred_on, inc.discovered_on, inc.departments) == (
        D(2023, 12, 25),
        D(2024, 1, 5),
        ["子ども家庭課"],
    )


def test_impossible_event_date_is_a_notice_and_null():
    (inc,), notices = _parse(REPORT.replace("12月25日", "2月30日"))
    assert inc.events[0].date is None
    assert inc.occurred_on is None
    assert notices == ["events: 2月30日: no such day 2月30日"]
