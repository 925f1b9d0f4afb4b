"""The tagger finds the themes where a reader finds them, in the guests' own answers."""

from __future__ import annotations

import pytest

from analysis.themes import find_theme_hits, load_codebook

from .conftest import answer_containing


@pytest.fixture(scope="module")
def tagged(segments):
    hits = find_theme_hits(segments, load_codebook())
    return hits.groupby("segment_id")["theme"].agg(set)


def themes_of(tagged, row):
    return tagged.get(row["segment_id"], set())


def test_plg_and_slg_in_liu_jingyuans_answer_on_funding(segments, tagged):
    # "下一轮融资变得困难……仅依靠 PLG 策略难以推进，可能需要转向 SLG 策略……招聘销售和本地商务人员"
    answer = answer_containing(segments, "刘景媛", "公司下一轮融资变得困难")
    assert {"PLG", "SLG", "CAPITAL"} <= themes_of(tagged, answer)


def test_arr_in_liu_chaos_answer_on_business_health(segments, tagged):
    question = segments[(segments["role"] == "answer") & (segments["question"] == "如何评价基础设施公司的业务健康程度？")]
    assert any("ARR" in themes_of(tagged, row) for _, row in question.iterrows())


def test_going_global_in_the_answer_on_internationalisation(segments, tagged):
    answer = answer_containing(segments, "刘景媛", "国内的一些软件出海先行者")
    assert "GLOBAL" in themes_of(tagged, answer)


def test_ai_infrastructure_in_xu_zhixings_answer_on_the_middle_layer(segments, tagged):
    question = "在 AI 领域的中间层有很多细分的方向，企业和团队如何识别到一个长久有效的方向，而不是一个短期、中间态的解决方案？未来是否存在被大云厂商垄断的可能？"
    answers = segments[(segments["role"] == "answer") & (segments["question"] == question)]
    assert any("AI_INFRA" in themes_of(tagged, row) for _, row in answers.iterrows())
