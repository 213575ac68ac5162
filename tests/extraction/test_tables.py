"""Table layouts seen on real portals, each read into the canonical cells."""

from extractors import extract

APPLICATION_LABELS = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
    "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项",
    "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确",
    "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息", "（六）其他处理", "（七）总计", "四、结转下年度继续办理",
]


def page(body: str) -> bytes:
    return f"""<html><head><meta charset="utf-8"><title>某县某局2019年政府信息公开工作年度报告</title></head>
<body><div class="nav">首页 | 政务公开</div><div class="TRS_Editor">
<p>一、总体情况</p><p>本机关2019年政府信息公开工作总体情况良好，全年依法依规办理各项公开事项，未发生行政复议和诉讼。</p>
{body}</div><div class="footer">主办单位：某县人民政府</div></body></html>""".encode()


def cells(report, table):
    return {(c.row, c.col): c for c in report.cells if c.table == table}


def test_word_exported_labels_split_across_spans_and_lines():
    body = """<table class=MsoNormalTable><tr><td colspan=4><p class=MsoNormal><span>第二十条第</span><span>（一）</span><span>项</span><o:p></o:p></p></td></tr>
<tr><td><p><span>信息</span><span>内容</span></p></td><td><p>本年新<br>制作<br>数量</p></td><td><p>本<br>年<br>新<br>公<br>开<br>数<br>量</p></td><td>对外公开<span>总数量</span></td></tr>
<tr><td><p><span>规</span><span>章</span><o:p></o:p></p></td><td>1</td><td>2</td><td>3</td></tr>
<tr><td>规范性文件</td><td><p><span>4</span><o:p></o:p></p></td><td>&nbsp;</td><td>0</td></tr></table>"""  # noqa: E501 - markup: a line break would change it
    active = cells(extract(page(body)), "active")
    assert {k: v.value for k, v in active.items()} == {
        ("regulations", "made"): 1, ("regulations", "published"): 2, ("regulations", "published_total"): 3,
        ("normative_docs", "made"): 4, ("normative_docs", "published"): None, ("normative_docs", "published_total"): 0,
    }
    assert active[("normative_docs", "published")].raw == ""


def test_header_decides_the_column_even_when_columns_are_reordered():
    body = """<table><tr><td colspan=4>第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>对外公开总数量</td><td>本年新制作数量</td><td>本年新公开数量</td></tr>
<tr><td>规章</td><td>30</td><td>10</td><td>20</td></tr></table>"""
    active = cells(extract(page(body)), "active")
    assert (active[("regulations", "made")].value, active[("regulations", "published")].value,
            active[("regulations", "published_total")].value) == (10, 20, 30)


def test_annotated_signed_and_money_cells():
    body = """<table><tr><td colspan=4>第二十条第（五）项</td></tr><tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>
<tr><td>行政许可</td><td>22（其中修订16件）</td><td>-18</td><td>+3</td></tr>
<tr><td colspan=4>第二十条第（九）项</td></tr><tr><td>信息内容</td><td>采购项目数量</td><td colspan=2>采购总金额</td></tr>
<tr><td>政府集中采购</td><td>—</td><td colspan=2>251000元</td></tr></table>"""  # noqa: E501 - markup: a line break would change it
    active = cells(extract(page(body)), "active")
    assert active[("licensing", "items_prev_year")].value == 22
    assert active[("licensing", "items_prev_year")].raw == "22(其中修订16件)"
    assert active[("licensing", "items_change")].value == -18
    assert active[("licensing", "decisions")].value == 3
    assert active[("procurement", "procurement_items")].value is None
    amount = active[("procurement", "procurement_amount")]
    assert (amount.value, amount.raw, amount.unit) == (25.1, "251000元", "万元")


def _application_matrix(values, *, total_blank=False):
    rows = []
    for i, label in enumerate(APPLICATION_LABELS):
        lead = ""
        if i == 2:
            lead = '<td rowspan="20">三、本年度办理结果</td>'
        if i == 4:
            lead += '<td rowspan="8">（三）不予公开</td>'
        if i == 12:
            lead += '<td rowspan="3">（四）无法提供</td>'
        if i == 15:
            lead += '<td rowspan="5">（五）不予处理</td>'
        span = 3 if i in (0, 1, 22) else 2 if i in (2, 3, 20, 21) else 1
        nums = "".join(f"<td>{'' if total_blank and j == 6 and 2 <= i <= 20 else values(i, j)}</td>" for j in range(7))
        rows.append(f"<tr>{lead}<td colspan={span}>{label}</td>{nums}</tr>")
    header = """<tr><td rowspan=3 colspan=3>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan=7>申请人情况</td></tr>
<tr><td rowspan=2>自然人</td><td colspan=5>法人或其他组织</td><td rowspan=2>总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"""  # noqa: E501 - markup: a line break would change it
    return f"<p>三、收到和处理政府信息公开申请情况</p><table>{header}{''.join(rows)}</table>"


def test_application_matrix_with_rowspans_keys_every_cell():
    report = extract(page(_application_matrix(lambda i, j: 100 * i + j)))
    apps = cells(report, "applications")
    assert len(apps) == 161
    assert apps[("denied.state_secret", "natural_person")].value == 400
    assert apps[("denied.admin_query", "total")].value == 1106
    assert apps[("unable.unclear", "legal_service")].value == 1404
    assert apps[("not_processed.confirmation", "other_org")].value == 1905
    assert apps[("other", "commercial")].value == 2001
    assert apps[("carried_forward", "research")].value == 2202


def test_blank_totals_are_not_assessable_not_failures():
    report = extract(page(_application_matrix(lambda _i, _j: 0, total_blank=True)))
    apps = cells(report, "applications")
    assert apps[("granted", "total")].value is None and apps[("granted", "natural_person")].value == 0
    by_rule = {(c.rule, c.scope): c.status for c in report.checks}
    assert by_rule[("applications.balance", "total")] == "pass"
    assert by_rule[("applications.results_sum", "total")] == "not_assessable"
    assert by_rule[("applications.row_sum", "granted")] == "not_assessable"


def test_a_wrong_total_fails_its_check_and_keeps_the_data():
    report = extract(page(_application_matrix(lambda i, j: 5 if (i, j) == (0, 0) else 0)))
    by_rule = {(c.rule, c.scope): c for c in report.checks}
    assert by_rule[("applications.balance", "natural_person")].status == "fail"
    assert by_rule[("applications.balance", "natural_person")].detail == "5 + 0 ≠ 0 + 0"
    assert by_rule[("applications.row_sum", "new")].status == "fail"
    assert cells(report, "applications")[("new", "natural_person")].value == 5


def test_missing_rows_leave_cells_absent_and_checks_not_assessable():
    html = _application_matrix(lambda _i, _j: 1).replace("<td colspan=3>四、结转下年度继续办理</td>",
                                                         "<td colspan=3>备注</td>")
    report = extract(page(html))
    assert not any(c.row == "carried_forward" for c in report.cells)
    assert {c.status for c in report.checks if c.rule == "applications.balance"} == {"not_assessable"}


def test_statistics_table_nested_in_a_layout_table():
    body = """<table width=980><tr><td><table width=100%><tr><td class=title>某局2016年政府信息公开工作年度报告</td></tr>
<tr><td><table border=1><tr><td>统计指标</td><td>单位</td><td>统计数</td></tr>
<tr><td>一、主动公开情况</td><td></td><td></td></tr><tr><td>（一）主动公开政府信息数</td><td>条</td><td>120</td></tr>
<tr><td>四、行政复议数量</td><td>件</td><td>2</td></tr><tr><td>（一）维持具体行政行为数</td><td>件</td><td>1</td></tr>
<tr><td>（二）被依法纠错数</td><td>件</td><td>1</td></tr><tr><td>（三）其他情形数</td><td>件</td><td>0</td></tr>
<tr><td>五、行政诉讼数量</td><td>件</td><td>1</td></tr><tr><td>（二）被依法纠错数</td><td>件</td><td>1</td></tr>
<tr><td>某某自定义指标</td><td>件</td><td>7</td></tr></table></td></tr></table></td></tr></table>"""  # noqa: E501 - markup: a line break would change it
    legacy = cells(extract(page(body)), "legacy")
    assert legacy[("active.total", "value")].value == 120
    assert legacy[("review.corrected", "value")].value == 1
    assert legacy[("litigation.corrected", "value")].value == 1  # same label, resolved by its section
    assert legacy[("unmapped.某某自定义指标", "value")].value == 7


def test_fujian_style_table_keeps_this_year_and_cumulative_apart():
    body = """<table><tr><td>指标名称</td><td>计量单位</td><td>2017年度</td><td>历年累计</td></tr>
<tr><td>主动公开文件数</td><td>条</td><td>35</td><td>512</td></tr><tr><td>其中：1、政府网站公开数</td><td>条</td><td>30</td><td>480</td></tr>
<tr><td>政府信息公开收费减免金额</td><td>元</td><td>1500</td><td>3000</td></tr></table>"""
    legacy = cells(extract(page(body)), "legacy")
    assert (legacy[("active.total", "value")].value, legacy[("active.total", "cumulative")].value) == (35, 512)
    assert legacy[("active.via.website", "cumulative")].value == 480
    fees = legacy[("fees.total", "value")]
    assert (fees.value, fees.raw, fees.unit) == (0.15, "1500", "万元")


def test_text_table_with_page_footers_inside_and_one_char_per_line_labels():
    text = "\n".join([
        "某局2020年政府信息公开工作年度报告", "一、总体情况",
        "本年度本机关政府信息公开工作总体平稳，全年依法答复申请。",
        "三、收到和处理政府信息公开申请情况",
        *"一、本年新收政府信息公开申请数量", *["3", "0", "0", "0", "0", "0", "3"],
        "— 4 —",
        "二、上年结转政府信息公开申请数量", *["1"] * 6, "6",
    ])
    report = extract(text.encode("utf-8"))
    apps = cells(report, "applications")
    assert apps[("new", "natural_person")].value == 3 and apps[("new", "total")].value == 3
    assert apps[("carried_over", "total")].value == 6


def test_an_unknown_statistics_table_is_reported_not_guessed():
    body = ("<table>" + "".join(f"<tr><td>某项自定义指标{i}</td><td>{i}</td><td>{i * 2}</td></tr>" for i in range(1, 6))
            + "</table>")
    report = extract(page(body))
    assert report.cells == []
    assert any(w.startswith("table 1 not recognised") for w in report.warnings)


def test_label_variants_real_reports_use():
    rows = [("一、本年新收政府信息公开申请数量（件）", 2), ("二、上年结转", 1), ("（一）予以公开", 1),
            ("（七）总计", 1), ("四、结转下一年度继续办理的申请", 2)]
    body = "<table><tr><td>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td></tr>" + "".join(
        f"<tr><td>{label}</td>" + f"<td>{n}</td>" * 7 + "</tr>" for label, n in rows) + "</table>"
    apps = cells(extract(page(body)), "applications")
    assert {row for row, _ in apps} == {"new", "carried_over", "granted", "total", "carried_forward"}
    assert apps[("carried_forward", "total")].value == 2


def test_carried_over_is_compared_with_last_years_carried_forward():
    from extractors.checks import carried_over_against_last_year
    from extractors.model import Cell

    this_year = [Cell("applications", "carried_over", "total", 3, "3", "件"),
                 Cell("applications", "carried_over", "natural_person", 2, "2", "件"),
                 Cell("applications", "carried_over", "commercial", None, "", "件")]
    last_year = [Cell("applications", "carried_forward", "total", 3, "3", "件"),
                 Cell("applications", "carried_forward", "natural_person", 1, "1", "件"),
                 Cell("applications", "carried_forward", "commercial", 0, "0", "件")]
    checks = {c.scope: c for c in carried_over_against_last_year(this_year, last_year)}
    assert (checks["total"].status, checks["natural_person"].status, checks["commercial"].status) == (
        "pass", "warn", "not_assessable")
    assert checks["natural_person"].detail == "上年结转 2 ≠ last year's 结转下年度 1"
