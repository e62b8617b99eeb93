"""Realistic appeals for the load clients: what a delivery platform's app would post for its workers.

Each payload is a complete `POST /api/v1/appeals` body except `source_ref`, which the client appends
(unique per request; the same string is the Idempotency-Key). The corpus is written one JSON object per
line with its closing brace cut off, so a client builds a body by concatenation:
    line + ',"source_ref":"' + ref + '"}'
which is all the Lua script has to do per request.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What a worker says, per first-level category: the situation, then what they ask for.
SITUATIONS: dict[str, tuple[str, ...]] = {
    "WAGE": (
        "站点已经两个月没有结算配送费了，站长一直说等总部打款",
        "上个月被扣了三百多元，说是超时罚款，但系统显示我是按时送达的",
        "离职时押金五百元到现在还没退，打客服电话没人接",
        "计件单价突然从每单五元降到三元八，事先没有任何通知",
    ),
    "PLATFORM": (
        "账号被无故封禁三天，申诉两次都没有回复",
        "系统派单的配送时间太短，雨天也不延长，只能闯红灯赶时间",
        "顾客恶意差评导致扣分，平台不给申诉渠道",
        "抽成比例这个月从百分之十五涨到了百分之二十二",
    ),
    "INSURANCE": (
        "送餐途中被电动车撞伤，站点说我是众包骑手不管工伤",
        "想参加职业伤害保障，但不知道在哪里办理",
        "摔伤住院花了八千多，保险公司一直拖着不理赔",
    ),
    "CONTRACT": (
        "签的是外包公司的合同，出了事平台和外包公司互相推",
        "站长要求每天必须在线十二小时，不然就罚款",
        "被口头辞退，没有任何书面通知，也没有补偿",
    ),
    "ACCESS": (
        "小区物业不让外卖车进，每单都要走一公里多",
        "写字楼要求登记身份证才能上楼，高峰期排队二十分钟",
        "医院门口保安不让骑手进，只能让病人家属下楼取",
    ),
    "PARKING": (
        "附近没有电动车充电桩，晚上只能把电瓶拿回出租屋充",
        "商场门口停车被贴条罚款，周边没有可以临时停放的地方",
        "充电柜经常坏，换电站排队要一个多小时",
    ),
    "REST": (
        "中午想找个地方休息喝水，附近的驿站总是关门",
        "冬天在外面等单太冷，希望商圈附近有个能取暖的地方",
        "驿站的饮水机坏了快一个月没人修",
    ),
    "LIVING": (
        "孩子想在这边上学，但是我没有本地社保，不知道怎么办手续",
        "租的房子合同到期房东不退押金",
        "想申请公租房，不清楚快递员能不能申请",
    ),
    "HEALTH": (
        "最近压力很大，晚上睡不着，想找人聊聊",
        "长期骑车腰疼得厉害，想了解有没有免费体检",
        "夏天送餐中暑了两次，希望提供防暑药品",
    ),
    "DISPUTE": (
        "送餐时和小区保安发生冲突，被打了一拳",
        "顾客说餐洒了要我赔钱，还威胁要投诉",
        "电动车在楼下被偷了，报警后一直没有消息",
    ),
    "SKILL": (
        "想考电工证转行，有没有免费的技能培训",
        "听说有学历提升的补贴，想了解怎么报名",
    ),
    "PARTICIPATION": (
        "想加入工会，不知道快递员去哪里入会",
        "我们几个骑手想参加社区志愿服务，怎么联系",
    ),
}
ASKS = (
    "希望有关部门帮忙协调。",
    "请帮忙看看怎么处理，谢谢。",
    "希望尽快给个答复。",
    "麻烦工作人员联系我。",
    "不知道该找哪个部门，请指导。",
)
OPENINGS = ("我是{platform}的{worker}，", "您好，我在{platform}跑单，", "", "我是附近的{worker}，")
# (platform, worker_type, how the worker calls the job): the API takes the platform's name as text.
PLATFORMS = (
    ("美团", "food_delivery", "外卖骑手"),
    ("饿了么", "food_delivery", "外卖骑手"),
    ("顺丰", "courier", "快递员"),
    ("京东物流", "courier", "快递员"),
    ("中通快递", "courier", "快递员"),
    ("滴滴出行", "ride_hailing", "网约车司机"),
    ("货拉拉", "truck", "货车司机"),
    ("e代驾", "designated_driver", "代驾司机"),
    ("抖音", "streamer", "主播"),
)
APPEAL_TYPES = (  # weighted as a hotline sees them: mostly help and complaints
    ("help", 40),
    ("complaint", 30),
    ("enquiry", 20),
    ("suggestion", 6),
    ("report", 3),
    ("praise", 1),
)
ROADS = ("黄河北大街", "长江街", "华山路", "民族大道", "金湖路", "东风路", "新华东街", "中山路", "建设路")
MOBILE_PREFIXES = ("130", "131", "135", "136", "138", "139", "150", "152", "158", "176", "177", "186", "188")
# GCJ-02 centres of the demo districts (皇姑区, 青秀区, 新城区), by county prefix; a small jitter around them.
CENTRES = {"210105": (41.822, 123.405), "450103": (22.816, 108.385), "150102": (40.858, 111.690)}


@dataclass(frozen=True)
class Place:
    """A division the partner may file in: its 12-digit code and the readable name of the address."""

    code: str
    name: str


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def appeal_payload(rng: random.Random, places: Sequence[Place], categories: Sequence[str]) -> dict[str, Any]:
    """One appeal body without `source_ref`; a category from `categories` (when given) drives the text."""
    platform, worker_type, worker = rng.choice(PLATFORMS)
    codes = [c for c in categories if c in SITUATIONS]
    topic = rng.choice(codes) if codes else rng.choice(sorted(SITUATIONS))
    text = (
        rng.choice(OPENINGS).format(platform=platform, worker=worker)
        + rng.choice(SITUATIONS[topic])
        + "，"
        + rng.choice(ASKS)
    )
    place = rng.choice(places)
    payload: dict[str, Any] = {
        "text": text,
        "division": place.code,
        "appeal_type": rng.choices([t for t, _w in APPEAL_TYPES], [w for _t, w in APPEAL_TYPES])[0],
        "worker_type": worker_type,
        "phone": _phone(rng),
        "platform": platform,
        "address": f"{place.name}{rng.choice(ROADS)}{rng.randint(1, 300)}号附近",
        "anonymous": rng.random() < 0.1,
    }
    # A third of the filings leave the category to intake, as a platform that does not classify would.
    if codes and rng.random() < 2 / 3:
        payload["category"] = topic
    centre = CENTRES.get(place.code[:6])
    if centre is not None and rng.random() < 0.8:  # the app sends the phone's position when it has one
        payload["lat"] = round(centre[0] + rng.uniform(-0.03, 0.03), 6)
        payload["lng"] = round(centre[1] + rng.uniform(-0.03, 0.03), 6)
    return payload


def corpus_line(payload: dict[str, Any]) -> str:
    """The payload as one line of compact UTF-8 JSON without its closing brace (see the module doc)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text[:-1]


def body(line: str, ref: str) -> str:
    """The request body a client sends: the corpus line completed with its unique `source_ref`."""
    return f'{line},"source_ref":"{ref}"}}'


def write_corpus(
    path: Path, places: Sequence[Place], categories: Iterable[str], *, n: int = 2000, seed: int = 11
) -> list[str]:
    """Write n corpus lines to `path` and return them (the replay check rebuilds bodies from them)."""
    if not places:
        raise ValueError("the corpus needs at least one division to file in")
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    cats = sorted(set(categories))
    lines = [corpus_line(appeal_payload(rng, places, cats)) for _ in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines
