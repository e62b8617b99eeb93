"""Text pools for the demo appeals: what workers write, per category, and what units answer.

Chinese text here is demo content, not msgids. An appeal's text is composed as opener + situation + up to
two details + ask, so a few dozen phrases per category give several hundred distinct, natural-sounding
appeals. Placeholders are filled per appeal: {platform} {role} {job} {fee} {site} {boss} {vehicle} {road}
{landmark} {place} {estate} {amount} {fine} {rent} {n}. A situation may bring its own details, asks and
replies where the category's general ones would not fit (an enquiry, a praise), and a `hint` naming the
unit a dispatcher would pick instead of the dispatch catalogue's (a key of `places.County.units`, or
"platform", "street", "swo").
"""

from __future__ import annotations

from dataclasses import dataclass

# worker-type letters used in Situation.types
FOOD, COURIER, RIDE, TRUCK, DRIVER, STREAMER, OTHER = "F", "C", "R", "T", "D", "S", "O"


@dataclass(frozen=True)
class Situation:
    text: str
    types: str = ""  # worker-type letters it fits; empty: every type
    urgent: bool = False  # injury now, danger, many workers gathering, self-harm
    appeal_type: str = ""  # AppealType value when the situation decides it
    hint: str = ""  # the unit a dispatcher picks instead of the catalogue's
    details: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()  # what the unit answers, when the category's general replies do not fit


@dataclass(frozen=True)
class Pool:
    situations: tuple[Situation, ...]
    details: tuple[str, ...]
    asks: tuple[str, ...]
    replies: tuple[str, ...]
    types: tuple[tuple[str, int], ...]  # (AppealType value, weight) when the situation does not decide


# Per worker type: the words a worker of that type uses.
VOCABULARY: dict[str, dict[str, str]] = {
    FOOD: {
        "role": "外卖骑手",
        "job": "送外卖",
        "fee": "配送费",
        "site": "站点",
        "boss": "站长",
        "vehicle": "电动车",
    },
    COURIER: {
        "role": "快递员",
        "job": "送快递",
        "fee": "派件费",
        "site": "网点",
        "boss": "网点负责人",
        "vehicle": "电动三轮车",
    },
    RIDE: {
        "role": "网约车司机",
        "job": "跑网约车",
        "fee": "车费流水",
        "site": "平台",
        "boss": "车队长",
        "vehicle": "车",
    },
    TRUCK: {
        "role": "货车司机",
        "job": "开货车拉货",
        "fee": "运费",
        "site": "平台",
        "boss": "车队负责人",
        "vehicle": "货车",
    },
    DRIVER: {
        "role": "代驾司机",
        "job": "做代驾",
        "fee": "代驾费",
        "site": "代驾公司",
        "boss": "队长",
        "vehicle": "折叠电动车",
    },
    STREAMER: {
        "role": "主播",
        "job": "做直播",
        "fee": "直播分成",
        "site": "公会",
        "boss": "经纪人",
        "vehicle": "电动车",
    },
    OTHER: {
        "role": "跑腿骑手",
        "job": "跑腿",
        "fee": "跑腿费",
        "site": "平台",
        "boss": "站长",
        "vehicle": "电动车",
    },
}

# First sentences; the situation follows directly.
OPENERS: tuple[str, ...] = (
    "我是{platform}的{role}，平时在{road}一带{job}。",
    "您好，我是一名{role}，在{platform}干了两年多了。",
    "我是{platform}{role}，",
    "你好，我想反映个事。我是{role}，",
    "我在{platform}{job}快一年了，",
    "我是{road}附近的{role}，",
    "",
    "",
    "您好，",
    "我是一名{role}，主要跑{road}这边，",
)

# Hotline operators write in the third person (工单 style); the worker's words are reported.
HOTLINE_OPENERS: tuple[str, ...] = (
    "来电人反映：其系{platform}{role}，",
    "市民来电反映：来电人是{role}，",
    "来电人称：其在{platform}{job}，",
    "{role}来电反映：",
)

WAGE = Pool(
    situations=(
        Situation("{site}已经拖了我{n}个月的{fee}没结，一共{amount}元左右。"),
        Situation(
            "上个月的{fee}被扣了{amount}多元，问{boss}扣的什么也说不清楚。",
            replies=(
                "经核查，扣款系{site}对超时订单的处罚，已要求其公开扣款规则并退还不合规扣款，并向诉求人作了解释。",
            ),
        ),
        Situation(
            "我上个月已经离职了，{site}说要压一个月的钱，到现在押金和最后一个月的{fee}都没退。",
            replies=("经协调，押金和剩余{fee}已全额结清，诉求人表示认可。",),
        ),
        Situation("{site}换了代理商，之前的代理商跑路了，我们十几个人的钱都没拿到。", types="FCO"),
        Situation(
            "今天上午我们{site}二十多个人聚在门口要钱，代理商的人一直不露面，大家情绪很激动。",
            types="FC",
            urgent=True,
            details=("再拖下去怕要出事。", "有人已经说要去堵路了。"),
            replies=(
                "接诉后劳动保障监察人员和属地派出所立即到场疏导，约谈平台企业和代理商，欠付{fee}已于三日内发放到位。",
            ),
        ),
        Situation("说好的冲单奖励{amount}元，跑完了平台说不符合条件不给发。", types="FRO"),
        Situation("过节期间{site}承诺每单加两块钱补贴，结果发钱的时候一分没有。", types="FC"),
        Situation("给我结算的单量比我实际跑的少了一百多单，差了{amount}元。", types="FCO"),
        Situation("货主拖欠我运费{amount}元，平台说是货主和我之间的事不管。", types="T"),
        Situation("代驾公司除了抽成，每个月还要交{fine}元的“装备费”，不交就不给派单。", types="D"),
        Situation("公会拖着我三个月的直播分成不给，合同里写的是月结。", types="S"),
    ),
    details=(
        "我找过{boss}好几次，每次都说下周结，一拖再拖。",
        "打{platform}客服电话，客服只会说已经反馈了，让我等。",
        "我这边有聊天记录和接单截图，可以提供。",
        "家里还等着这笔钱交房租，实在拖不起了。",
        "同{site}还有好几个人和我情况一样。",
        "{boss}现在电话不接，微信也把我拉黑了。",
    ),
    asks=(
        "希望相关部门帮忙督促尽快把钱结清。",
        "请劳动监察部门帮忙查一下，该给我们的钱要给我们。",
        "想问一下这种情况我该去哪里维权，需要准备什么材料。",
        "希望政府出面协调，别让我们干了活拿不到钱。",
        "希望尽快处理，谢谢。",
    ),
    replies=(
        "经劳动保障监察人员调查核实，确有拖欠情况，已责令限期足额支付，诉求人已确认收到款项。",
        "已约谈{site}负责人，双方同意按实际单量和约定标准重新核算，差额部分已于近日补发到位。",
        "已告知诉求人可携带聊天记录、接单截图等证据向区劳动人事争议仲裁委员会申请仲裁，并为其联系了法律援助。",
    ),
    types=(("complaint", 60), ("help", 25), ("enquiry", 15)),
)

PLATFORM = Pool(
    situations=(
        Situation(
            "平台这周突然把我的账号封了，理由是“异常行为”，具体什么异常也不说。",
            details=(
                "这几天一分钱收入都没有，一家人就靠我这份收入过日子。",
                "在App上申诉只有机器人回复，找不到人工。",
            ),
            asks=("请帮忙让平台恢复我的账号，至少告诉我具体原因。", "希望有关部门跟平台沟通一下，给个说法。"),
            replies=(
                "经与{platform}沟通，平台已对该账号重新审核并解除限制，诉求人已恢复接单。",
                "经核查，平台封号依据其公示的服务规则，已督促平台向诉求人说明具体原因和申诉方式，并提供人工客服电话。",
            ),
        ),
        Situation(
            "系统派单太远了，经常一单跨三四公里，配送时间只给二十几分钟，根本送不到。",
            types="FO",
            replies=(
                "已将诉求人反映的派单距离和配送时限问题反馈平台企业，平台表示将在本区优化派单半径并适当放宽时限。",
            ),
        ),
        Situation(
            "我被顾客恶意差评，其实是商家出餐慢，申诉了三次都被驳回。",
            types="FO",
            hint="platform",
            replies=(
                "已联系{platform}区域负责人核查，平台复核后已撤销该差评对诉求人的影响，并承诺优化人工申诉渠道。",
            ),
        ),
        Situation(
            "超时一次罚{fine}元，可超时是因为电梯坏了、小区不让进，这些平台都不考虑。",
            types="FCO",
            hint="platform",
            asks=("希望把这种不合理的罚款取消，已经扣的退给我。",),
            replies=("已联系{platform}区域负责人核查，平台复核后已撤销对诉求人的处罚并退还罚款。",),
        ),
        Situation(
            "平台抽成越来越高，一单一百块的车费我只能拿到七十出头。",
            types="RD",
            hint="platform",
            replies=(
                "区总工会已牵头召开平台企业与劳动者代表恳谈会，就抽成规则听取意见，平台承诺公示抽成比例上限。",
            ),
        ),
        Situation("平台改了规则，等级降了以后派单明显少了，一天跑十二个小时才挣一百多。"),
        Situation("平台要求我们每天在线满十个小时，不然就扣服务分。", types="FR", hint="platform"),
        Situation("直播间被平台限流，说我违规，但没说违反了哪一条。", types="S"),
        Situation("运价被平台一压再压，跑一趟长途油钱过路费都不够。", types="T"),
        Situation(
            "建议平台在暴雨、大雪天气自动延长配送时间，别让骑手冒险抢时间。",
            types="FO",
            appeal_type="suggestion",
            details=("上周下大雨，我们好几个同事在路上摔了。",),
            asks=("希望相关部门把这个建议转给平台。", "希望平台能听听我们一线骑手的意见。"),
            replies=("已将诉求人的建议转平台企业，平台表示将在恶劣天气时自动延长配送时限。",),
        ),
    ),
    details=(
        "在App上申诉只有机器人回复，找不到人工。",
        "我跟好几个同事聊过，大家都有同样的问题。",
        "我有订单截图和录音，能证明不是我的责任。",
        "规则改了也没提前通知，我们都是在App里突然发现的。",
    ),
    asks=(
        "希望有关部门跟平台沟通一下，给个说法。",
        "希望平台定规则的时候能听听我们的意见。",
    ),
    replies=(
        "已将诉求人反映的问题汇总反馈平台企业，平台已说明规则依据，并承诺在调整规则前听取劳动者代表意见。",
        "区总工会已牵头召开平台企业与劳动者代表恳谈会，就相关规则听取意见，有关情况已向诉求人反馈。",
    ),
    types=(("complaint", 60), ("report", 10), ("suggestion", 10), ("enquiry", 20)),
)

INSURANCE = Pool(
    situations=(
        Situation(
            "我今天下午{job}的时候在{place}摔倒了，腿肿得厉害走不了路，{site}让我自己想办法。",
            types="FCO",
            urgent=True,
            details=("现在人还在路边，不知道该去哪个医院。", "身上也没带多少钱。"),
            replies=(
                "接诉后第一时间联系诉求人，协调{site}负责人陪同就医，医疗费用已先行垫付，后续按规定理赔。",
            ),
        ),
        Situation(
            "刚才送件路上在{road}被一辆小轿车刮倒了，手腕可能骨折了，对方想走。",
            types="FCO",
            urgent=True,
            details=("我已经报了警，警察还没到。", "{site}电话一直打不通。"),
            replies=("已联系诉求人并协调就近医院救治，交警已到场处理事故，医疗费用由肇事方先行垫付。",),
        ),
        Situation("上个月送件时受伤住院，花了{n}万多元，说好的职业伤害保障一直报不下来。", types="FCO"),
        Situation(
            "我想问一下我们这种灵活就业的怎么交社保，在哪里办。",
            appeal_type="enquiry",
            details=("我是外地户口，不太懂这边的政策。", "之前一直没交过。"),
            asks=("想咨询一下具体怎么办理，需要什么材料。", "麻烦告诉我一下流程，谢谢。"),
            replies=(
                "已向诉求人详细解释灵活就业人员参加养老保险、医疗保险的办理渠道，并告知可在线上社保服务平台办理。",
            ),
        ),
        Situation("{site}每天从{fee}里扣三块钱说是保险费，可是我受伤了他们说没给我买。", types="FC"),
        Situation(
            "听说现在有新就业形态职业伤害保障，我们平台有没有，我自己怎么查。",
            appeal_type="enquiry",
            asks=("想咨询一下具体怎么查、怎么用。",),
            replies=("已向诉求人说明新就业形态人员职业伤害保障政策，并告知可在平台App内查询本人参保记录。",),
        ),
        Situation("卸货的时候被货砸伤了脚，货主和平台互相推，没人管医药费。", types="T"),
    ),
    details=(
        "医院的票据和诊断证明我都留着。",
        "{boss}一开始说会管，后来就不接电话了。",
        "现在伤还没好，一个多月没法干活了。",
    ),
    asks=(
        "希望帮我查一下保险的事，该报的能报下来。",
        "请相关部门尽快帮忙处理，我现在急需用钱看病。",
        "希望{site}能把该给的赔偿给我。",
    ),
    replies=(
        "已联系诉求人了解情况，经核实其属于职业伤害保障范围，已指导其通过平台提交职业伤害确认申请。",
        "已联系平台核查，诉求人投保记录已查到，理赔申请已进入审核流程，预计十个工作日内完成。",
        "经协调，{site}已承担诉求人的医疗费用，并按规定为其补缴了保险。",
    ),
    types=(("help", 55), ("complaint", 30), ("enquiry", 15)),
)

CONTRACT = Pool(
    situations=(
        Situation("我在{site}干了一年多，从来没签过合同，现在说不要我就不要我了。"),
        Situation("{site}让我们签的是和一家外包公司的协议，出了事都不知道找谁。", types="FCO"),
        Situation(
            "{boss}让我们每天早上七点到{site}开早会，不去就罚款，这算不算强制上班。",
            types="FC",
            replies=("已约谈{site}负责人，责令其取消强制早会和罚款规定，并在站点公示整改情况。",),
        ),
        Situation(
            "我想辞职，{site}说必须干满三个月，不然押金不退。",
            replies=("经调解，{site}同意诉求人离职并全额退还押金，诉求人表示接受。",),
        ),
        Situation(
            "被{site}以“服务分太低”为由直接辞退，没有任何补偿。",
            replies=("经调解，{site}同意支付半个月{fee}作为补偿，诉求人表示接受。",),
        ),
        Situation("平台把我们从专送转成了众包，收入少了一截，也没征求我们意见。", types="F"),
        Situation("{site}要求我签一份“自愿放弃社保”的承诺书，不签就不让上线。"),
    ),
    details=(
        "合同我只在手机上点过一个确认，没拿到纸质的。",
        "和我情况一样的还有五六个人。",
        "我到现在都不知道自己算哪家公司的人。",
        "我问过{boss}，他说平台的规定就是这样。",
    ),
    asks=(
        "想知道我这种情况算不算劳动关系，能不能要补偿。",
        "希望有关部门帮我们确认一下用工主体。",
        "请帮忙协调，给个合理的说法。",
        "希望告诉我去哪里申请劳动仲裁。",
    ),
    replies=(
        "已联系诉求人和{site}，经核查双方系外包用工关系，已告知诉求人可依法申请确认劳动关系，并为其联系法律援助律师。",
        "已向诉求人解释新就业形态劳动者权益保障相关规定，并督促合作用工企业与诉求人补签书面协议。",
    ),
    types=(("complaint", 55), ("help", 25), ("enquiry", 20)),
)

ACCESS = Pool(
    situations=(
        Situation(
            "{estate}的保安不让电动车进小区，让我们把东西放在门口，顾客又投诉没送上楼。",
            types="FCO",
            replies=(
                "街道已联合社区、物业召开协调会，{estate}已在东门设置外卖快递临时停放点，并为登记的配送人员开通门禁权限。",
            ),
        ),
        Situation(
            "{landmark}旁边的写字楼不让外卖员坐客梯，货梯要等二十分钟，每天都因为这个超时。",
            types="FO",
            asks=("希望能开放一部电梯给我们用。",),
            replies=("经协调，该写字楼物业已开放一部电梯供配送人员错峰使用。",),
        ),
        Situation(
            "{road}的{estate}门禁只认业主的卡，每次进去都要打电话让顾客下来，非常耽误时间。",
            replies=("社区已推动物业为登记的配送人员开通临时门禁权限，并在门口增设智能取餐柜。",),
        ),
        Situation(
            "医院门口不让停车也不让进，病人家属点的餐只能在马路对面交接。",
            types="FO",
            asks=("希望能设个取餐点。",),
            replies=("经协调，医院已在南门外设置外卖取餐架，并划定配送车辆临时停靠区域。",),
        ),
        Situation(
            "{landmark}要求每次进门都登记身份证，一次排队就十几分钟。",
            types="FCO",
            replies=("已向物业公司提出整改意见，对已备案的配送人员实行扫码快速登记。",),
        ),
        Situation(
            "学校不让外卖和快递进校门，门口也没有取餐柜，学生都在围栏边上递。",
            types="FC",
            asks=("希望能设个取餐点或者快递柜。",),
            replies=("经与校方沟通，学校已在东门外设置智能取餐柜和快递驿站。",),
        ),
        Situation(
            "到{landmark}接乘客，保安不让进也不让在门口停，乘客又在里面等着。",
            types="RD",
            asks=("希望在门口设个上下客的临时停靠点。",),
            replies=("经协调，{landmark}已在门口划设网约车临时上下客点，并告知保安放行。",),
        ),
    ),
    details=(
        "我跟物业说过好多次，物业说是业委会定的规矩。",
        "下雨天在门口一等就是十几分钟。",
        "别的地方都有专用通道，就这里不行。",
        "保安态度也很差，上次还跟我们吵起来了。",
    ),
    asks=(
        "希望社区和物业沟通一下，给我们留个能进出的通道。",
        "请街道协调一下，给我们办个通行证。",
        "希望能解决“最后一百米”进不去的问题。",
    ),
    replies=("街道已联合社区、物业召开协调会，对配送人员实行登记后快速通行，诉求人已知悉。",),
    types=(("complaint", 55), ("help", 30), ("suggestion", 15)),
)

PARKING = Pool(
    situations=(
        Situation(
            "我的{vehicle}停在{landmark}门口送个单，出来就被贴了罚单，附近根本没有停车的地方。",
            types="FCO",
            asks=("希望在{landmark}附近划一块临时停车区。", "请有关部门核实一下，这个罚款合不合理。"),
            replies=(
                "经现场勘查，已在{landmark}周边施划非机动车临时停放区，并安排专人引导停放。",
                "经核查，该处罚符合道路交通管理规定，已向诉求人解释，并告知附近可停放的位置。",
            ),
        ),
        Situation(
            "{place}附近没有电动车充电的地方，跑到一半没电只能推着走。",
            types="FCO",
            hint="urban",
            asks=("希望多建几个充电桩或者换电柜。",),
            replies=("已协调在{road}新增两处电动自行车集中充电站，共四十个充电端口，已投入使用。",),
        ),
        Situation(
            "在{landmark}门口上下客也被抄牌，那里连个临时停靠点都没有。",
            types="R",
            asks=("希望设个临时停靠点。", "请有关部门核实一下，这个罚款合不合理。"),
            replies=("经现场勘查，已在{landmark}门口设置出租车和网约车即停即走上下客点。",),
        ),
        Situation(
            "电动车上牌要跑好几趟，每次都说材料不全。",
            types="FCO",
            asks=("希望能简化办理流程。",),
            replies=(
                "已告知诉求人电动自行车登记所需材料及线上预约方式，车管服务站已为新就业群体开通绿色通道。",
            ),
        ),
        Situation(
            "货车进城通行证太难办，送一趟货要绕很远的路。",
            types="T",
            asks=("希望能简化办理流程。",),
            replies=("已告知诉求人货车通行证可在线申办，并为其开通了城市配送车辆通行证快速审核。",),
        ),
        Situation(
            "小区楼下不让电动车充电，换电柜又太远，晚上回家充电成了大问题。",
            types="FCO",
            hint="urban",
            asks=("希望多建几个充电桩或者换电柜。",),
            replies=("已协调社区在小区内建设电动自行车集中充电棚，预计下月投入使用。",),
        ),
        Situation(
            "交警扣了我的电动车，说是非标车，可这车是{site}统一配的。",
            types="FC",
            asks=("请有关部门核实一下，把车还给我。",),
            replies=("已督促{site}在过渡期内为配送人员更换合规车辆，扣押车辆已按规定处理。",),
        ),
    ),
    details=(
        "一个月光罚款就交了好几百。",
        "附近的车位都被私家车占了。",
        "我们不是故意乱停，是真的没地方停。",
        "问了好几个部门，都说不归他们管。",
    ),
    asks=("希望有关部门帮忙解决。",),
    replies=("已联系诉求人说明相关规定，并协调有关部门予以解决。",),
    types=(("complaint", 50), ("help", 30), ("suggestion", 20)),
)

REST = Pool(
    situations=(
        Situation(
            "{place}附近的爱心驿站好像一直不开门，中午想进去歇歇脚、热个饭都不行。",
            details=("驿站门口贴的时间是早八点到晚八点，但我去了好几次都锁着门。",),
            asks=("希望驿站能按时开门。",),
            replies=(
                "社区已核实，驿站因值守人员调整暂停开放，现已恢复每日8:00—20:00开放，并在门口张贴联系电话。",
            ),
        ),
        Situation(
            "我们中午想找个地方吃饭休息，附近的店都不让久坐。",
            types="FCO",
            replies=("已协调{landmark}周边商户加入“暖新驿站”，为新就业群体提供就餐、饮水、充电服务。",),
        ),
        Situation(
            "夏天太热了，{road}一带找不到一个能喝口凉水的地方。",
            replies=("已在{road}新设一处户外劳动者服务站，配备冷热水、微波炉和休息座椅。",),
        ),
        Situation(
            "{landmark}附近没有公厕，跑单途中上厕所特别难。",
            replies=("已协调{landmark}周边商户和单位向新就业群体开放卫生间，并在地图App上标注。",),
        ),
        Situation(
            "冬天等单的时候太冷了，附近连个能取暖的地方都没有。",
            replies=("已在{road}党群服务中心开辟冬季暖心驿站，提供热水和休息座椅。",),
        ),
        Situation(
            "驿站的充电插座坏了好久了，一直没人修。",
            asks=("希望能把设施修一修。",),
            replies=("已安排维修人员对驿站设施进行检修，充电插座已全部恢复使用。",),
        ),
    ),
    details=(
        "我们这片有几十个骑手，都有这个需要。",
        "以前还能在商场里歇一会儿，现在也被赶出来了。",
    ),
    asks=(
        "希望在{road}附近多设几个休息点。",
        "请社区帮忙协调一下，让我们有个歇脚的地方。",
    ),
    replies=("已联系诉求人了解情况，社区将在附近增设休息点。",),
    types=(("help", 45), ("suggestion", 35), ("complaint", 20)),
)

LIVING = Pool(
    situations=(
        Situation(
            "我想在{road}附近租个便宜点的房子，听说有给我们这样的新就业群体的保障性租赁住房，不知道怎么申请。",
            appeal_type="enquiry",
            asks=("希望告诉我具体的申请条件和流程。",),
            replies=("已向诉求人详细说明本区保障性租赁住房申请条件及流程，并协助其在线提交了申请。",),
        ),
        Situation(
            "{site}安排的宿舍一间住了十个人，每人每月还要交{rent}元。",
            types="FC",
            replies=("经现场核查，该宿舍存在消防安全隐患，已责令限期整改，并督促降低住宿费用。",),
        ),
        Situation(
            "孩子跟着我们来这边上学，想问问外地户口的孩子怎么入学。",
            appeal_type="enquiry",
            asks=("希望能帮孩子解决上学的问题。", "想知道要准备哪些材料、什么时候报名。"),
            replies=("已告知诉求人随迁子女入学所需材料和报名时间，并提供了学位咨询电话。",),
        ),
        Situation(
            "暑假孩子没人看，我们两口子白天都要跑单，社区有没有托管班。",
            appeal_type="help",
            hint="street",
            asks=("希望社区能开个暑期托管班。",),
            replies=("社区已开设暑期“小候鸟”托管班，已为诉求人的孩子报名。",),
        ),
        Situation(
            "房东突然要涨房租，不涨就让我三天内搬走，押金也不退。",
            replies=("经社区调解，房东同意按合同约定退还押金，诉求人已另行租房。",),
        ),
        Situation(
            "办居住证要房东配合，房东不愿意，我这边一直办不下来。",
            replies=("已告知诉求人可凭劳动合同或平台从业证明申领居住证，并协调社区出具居住证明。",),
        ),
    ),
    details=(
        "我在这边干了三年了，一直是租房住。",
        "我和爱人都在{job}，收入不高。",
        "问了几个地方都让我去别处问。",
    ),
    asks=(
        "请有关部门帮忙协调一下。",
        "希望尽快帮我解决，谢谢。",
    ),
    replies=("已联系诉求人了解情况，并协调相关部门办理，结果已告知诉求人。",),
    types=(("help", 60), ("complaint", 25), ("enquiry", 15)),
)

HEALTH = Pool(
    situations=(
        Situation(
            "最近跑单压力特别大，晚上睡不着，白天也没精神。",
            hint="swo",
            asks=("想找人聊聊，疏导一下。", "希望能有人帮帮我。"),
            replies=("已安排社工与诉求人电话沟通，提供心理疏导，并为其预约了社区心理咨询服务。",),
        ),
        Situation(
            "这阵子欠了一屁股债，跑单也还不上，有时候真觉得活着没意思。",
            urgent=True,
            hint="swo",
            details=("家里人都不在身边，也没人说话。",),
            asks=("希望能有人跟我聊聊。",),
            replies=("接诉后社工立即与诉求人取得联系并上门陪伴，已转介专业心理咨询，后续将持续跟进。",),
        ),
        Situation(
            "听说有给新就业群体的免费体检，想问问在哪里报名。",
            appeal_type="enquiry",
            asks=("想知道怎么预约。",),
            replies=("已告知诉求人免费体检的报名方式，社区卫生服务中心已为其安排本周体检。",),
        ),
        Situation(
            "今天中午在{place}差点中暑，头晕得厉害，现在在路边坐着。",
            urgent=True,
            details=("一天要跑十几个小时，饭都顾不上吃。",),
            asks=("希望有人过来看看。", "希望多设几个能避暑的地方。"),
            replies=("已第一时间联系诉求人，其身体已无大碍，并向其发放了防暑降温用品。",),
        ),
        Situation(
            "长期骑车腰疼得厉害，想看看有没有针对我们的康复理疗。",
            asks=("想知道社区医院能不能做。", "希望能多组织一些这样的义诊活动。"),
            replies=("已为诉求人联系社区卫生服务中心康复科，新就业群体可享受免费康复评估。",),
        ),
        Situation(
            "我有高血压，每天跑单没时间去医院，社区医院下班又早。",
            asks=("希望社区卫生服务中心晚上也能看病。", "希望能给我们开个绿色通道。"),
            replies=("已协调社区卫生服务中心为新就业群体开设夜间门诊，每周二、四延长至晚八点。",),
        ),
    ),
    details=(
        "家里人都不在身边，也没人说话。",
        "一天要跑十几个小时，饭都顾不上吃。",
        "我看别的城市有这种服务。",
    ),
    asks=(
        "希望能有人帮帮我。",
        "希望社区卫生服务中心能给我们开个绿色通道。",
        "希望能多组织一些这样的活动。",
    ),
    replies=("已联系诉求人了解情况，并协调社区卫生服务中心提供相应服务。",),
    types=(("help", 70), ("enquiry", 20), ("suggestion", 10)),
)

DISPUTE = Pool(
    situations=(
        Situation(
            "刚才在{landmark}送餐，顾客嫌送晚了动手打人，我脸上都是血。",
            types="FO",
            urgent=True,
            details=("我现在还在现场，不敢走。", "对方还在骂，说要叫人来。"),
            replies=("接诉后已联系辖区派出所到场处置，诉求人已就医，涉事人员已被带回调查。",),
        ),
        Situation(
            "我的{vehicle}在{place}楼下被偷了，车上还有一箱货。",
            types="FCO",
            replies=("派出所已受理报案，正在调取周边监控，有进展将及时告知诉求人。",),
        ),
        Situation(
            "小区保安因为我没登记就把我推倒了，还扣着我不让走。",
            types="FCO",
            urgent=True,
            details=("我现在还在现场，不敢走。",),
            replies=("已联系辖区派出所到场处置，涉事保安已向诉求人道歉，物业公司已对其停职处理。",),
        ),
        Situation("顾客拒收还要我赔钱，说我把东西送坏了，威胁要投诉我。", types="FCO"),
        Situation("商家出餐慢还骂人，说我催单，还把我拉黑了。", types="F"),
        Situation("乘客下车不付钱，还骂骂咧咧，说要找人收拾我。", types="RD"),
        Situation("和货主因为装卸费起了争执，对方扣着我的车不让走。", types="T"),
    ),
    details=(
        "现场有监控，可以调出来看。",
        "我这边有行车记录仪的视频。",
        "这种事已经不是第一次了。",
        "已经报过警了，让我们自己协商。",
    ),
    asks=(
        "希望有关部门尽快处理。",
        "想找个律师咨询一下，听说有免费的法律援助。",
        "请帮忙调解一下，我不想把事情闹大。",
        "希望能保护我们的人身安全。",
    ),
    replies=(
        "已联系辖区人民调解委员会组织双方调解，双方已达成和解。",
        "区法律援助中心已为诉求人指派律师提供免费法律咨询。",
        "已联系双方了解情况，经调解对方同意按实际损失赔偿，诉求人表示接受。",
    ),
    types=(("complaint", 50), ("help", 40), ("report", 10)),
)

SKILL = Pool(
    situations=(
        Situation(
            "想考个电工证，听说有针对我们的免费培训，在哪报名？",
            appeal_type="enquiry",
            replies=("已向诉求人介绍本区职业技能提升补贴政策和培训机构名单，诉求人已报名夜间班。",),
        ),
        Situation(
            "我初中毕业，想提升学历，有没有适合我们这种时间不固定的。",
            appeal_type="enquiry",
            replies=("区总工会“求学圆梦行动”正在报名，已为诉求人登记学历提升意向。",),
        ),
        Situation(
            "{site}说能帮我们评“网约配送员”职业技能等级，每人要交{rent}块钱，这是真的吗？",
            types="FO",
            appeal_type="report",
            asks=("请帮忙核实一下是不是骗人的。",),
            replies=("经核实，职业技能等级认定不向个人收取费用，已提醒诉求人谨防诈骗，并已约谈相关站点。",),
        ),
        Situation(
            "{job}好几年了，想转行学个手艺，不知道政府有没有补贴。",
            appeal_type="enquiry",
            replies=("已向诉求人介绍职业培训补贴的申领条件，并推荐了本区定点培训机构。",),
        ),
        Situation(
            "参加了技能培训，说好发证书，到现在也没发。",
            appeal_type="complaint",
            asks=("希望尽快把证书发给我们。",),
            replies=("已联系培训机构核实，证书已制作完成，将于本周内发放。",),
        ),
    ),
    details=(
        "白天要跑单，只能晚上或者周末学。",
        "我身边好几个人都想报。",
        "网上查了半天没查明白。",
    ),
    asks=(
        "希望告诉我具体的报名方式。",
        "想了解一下补贴政策。",
        "麻烦给个答复，谢谢。",
    ),
    replies=("已联系诉求人，详细介绍了相关政策和办理渠道。",),
    types=(("enquiry", 70), ("help", 30)),
)

PARTICIPATION = Pool(
    situations=(
        Situation(
            "想表扬一下{road}社区的网格员，上次我的{vehicle}坏在半路，是她帮我联系的修车师傅。",
            appeal_type="praise",
            details=("这件事我一直记着。",),
            asks=("希望能转达我的感谢。",),
            replies=("已将诉求人的表扬转达相关社区，并对网格员提出表扬。",),
        ),
        Situation(
            "感谢街道给我们建了爱心驿站，夏天有地方喝水歇脚了。",
            appeal_type="praise",
            asks=("希望能转达我的感谢。", "希望这样的驿站能多建几个。"),
            replies=("感谢您的肯定，已转达街道，街道将继续推进“暖新驿站”建设。",),
        ),
        Situation(
            "我想加入工会，平台上能申请吗？",
            appeal_type="enquiry",
            asks=("想知道怎么办理。",),
            replies=("已告知诉求人入会方式，区总工会已通过线上平台为其办理入会手续。",),
        ),
        Situation(
            "我想报名当社区的志愿者，平时跑单对这一片很熟。",
            appeal_type="enquiry",
            details=("平时走街串巷，哪里有安全隐患我们最清楚。", "我们骑手也想为社区出点力。"),
            asks=("想知道怎么报名。",),
            replies=("社区已将诉求人纳入“骑手志愿服务队”，并邀请其参加下月的社区议事会。",),
        ),
        Situation(
            "建议社区组织骑手和业主开个座谈会，大家互相理解一下。",
            appeal_type="suggestion",
            asks=("希望能多组织这样的活动。",),
            replies=("感谢您的建议，街道已计划本季度召开新就业群体与居民代表恳谈会。",),
        ),
        Situation(
            "我是党员，想把组织关系转到这边，参加骑手党员的活动。",
            appeal_type="enquiry",
            asks=("想知道找谁办理。",),
            replies=("已为诉求人联系街道党工委，告知组织关系转接流程，并邀请其参加新就业群体党员活动。",),
        ),
    ),
    details=("我们骑手也想为社区出点力。",),
    asks=("麻烦给个答复，谢谢。",),
    replies=("已联系诉求人，相关情况已作答复。",),
    types=(("enquiry", 40), ("suggestion", 35), ("praise", 25)),
)

POOLS: dict[str, Pool] = {
    "WAGE": WAGE,
    "PLATFORM": PLATFORM,
    "INSURANCE": INSURANCE,
    "CONTRACT": CONTRACT,
    "ACCESS": ACCESS,
    "PARKING": PARKING,
    "REST": REST,
    "LIVING": LIVING,
    "HEALTH": HEALTH,
    "DISPUTE": DISPUTE,
    "SKILL": SKILL,
    "PARTICIPATION": PARTICIPATION,
}

# Residential estates (the "最后100米" of ACCESS), and places of every kind.
ESTATES: tuple[str, ...] = (
    "锦绣家园",
    "阳光花园",
    "幸福里小区",
    "世纪花园",
    "和平小区",
    "翡翠城",
    "滨河苑",
    "中铁逸都",
    "国际公寓",
    "金色家园",
    "丽景苑",
    "紫薇小区",
)
LANDMARKS: tuple[str, ...] = (
    "万达广场",
    "万象汇",
    "中心医院",
    "实验中学",
    "锦绣家园",
    "阳光花园",
    "金地大厦",
    "科技大厦",
    "人民医院",
    "体育馆",
    "大学城",
    "农贸市场",
    "财富中心",
    "国际公寓",
    "幸福里小区",
    "世纪花园",
    "和平小区",
    "翡翠城",
    "师范大学",
    "火车站",
    "银座商城",
    "滨河苑",
    "悦来城",
    "中铁逸都",
)

# --- the other side's words ---------------------------------------------------------------------------

CONTACT_NOTES: tuple[str, ...] = (
    "已电话联系诉求人，了解了具体情况。",
    "已与诉求人电话沟通，约定明天到现场查看。",
    "已联系诉求人，诉求人补充了聊天记录截图。",
    "已上门走访诉求人，核实了相关情况。",
    "已电话联系诉求人，告知我单位正在核查，有结果后及时答复。",
)

RETURN_NOTES: dict[str, tuple[str, ...]] = {
    "wrong_place": ("经核实，诉求地址不在本单位辖区。", "该小区不属于本街道管辖，请核实后改派。"),
    "unclear_ownership": (
        "该处场所产权单位不明确，请派单中心协调牵头单位。",
        "涉事路段权属不清，建议由区级部门牵头。",
    ),
    "overlapping_duties": (
        "该事项涉及多个部门职能，请明确牵头单位。",
        "此事属于平台企业内部管理事项，建议派至平台企业处理。",
    ),
    "other": ("诉求内容不全，请补充具体地址后再派。", "该诉求与我单位另一在办工单为同一事项。"),
}

REJECT_REASONS: tuple[str, ...] = (
    "诉求内容与新就业群体服务无关，已告知诉求人拨打相关服务热线。",
    "诉求人反映的事项已进入诉讼程序，依法不予受理，已告知诉求人等待法院判决。",
    "诉求内容不完整，多次回拨无人接听，无法受理。",
    "反映的是外省市事项，已告知诉求人向当地12345热线反映。",
    "测试信息，不予受理。",
)

WITHDRAW_REASONS: tuple[str, ...] = (
    "问题已经解决了，不用再处理了。",
    "钱已经结了，谢谢。",
    "和对方私下协商好了。",
    "填错了，重新提交一个。",
    "不想再追究了。",
)

EXTENSION_REASONS: tuple[str, ...] = (
    "需调取平台企业总部的结算数据，核查时间较长。",
    "涉及多个部门，需要联合现场勘查。",
    "诉求人近期在外地，无法当面核实情况。",
    "需等待劳动人事争议仲裁委员会的调解结果。",
    "涉及设施建设，需履行采购程序。",
)
EXTENSION_APPROVED = ("同意延期，请在延期内办结。", "同意，请加快协调进度。")
EXTENSION_REFUSED = ("理由不充分，请按原时限办结。",)

SUPERVISION_NOTES: tuple[str, ...] = (
    "群众反映强烈，请承办单位主要负责人亲自过问，限期办结。",
    "该诉求已多次反映，请认真核实、彻底解决。",
    "请加快办理进度，按时答复诉求人。",
)

COMMENTS: dict[str, tuple[str, ...]] = {
    "satisfied": (
        "",
        "",
        "处理得很快，谢谢！",
        "工作人员态度很好，问题解决了。",
        "没想到这么快就有回音，点赞。",
    ),
    "basically_satisfied": (
        "",
        "解决了，就是等得有点久。",
        "基本解决了，希望以后别再出现。",
        "还行吧，后续再看看。",
    ),
    "dissatisfied": (
        "只打了个电话，问题根本没解决。",
        "到现在钱还是没给。",
        "答复的都是套话，没用。",
        "说是整改了，我今天去看还是老样子。",
    ),
    # 基本满意 with the people, but the problem is not solved
    "unresolved": ("工作人员态度挺好，但问题还是没解决。", "说了会处理，到现在没有下文。", "只解决了一半。"),
}

EXCLUSION_REASONS: tuple[str, ...] = (
    "经核查，诉求人要求平台恢复因刷单被封禁的账号，属不合理诉求。",
    "诉求人要求的赔偿金额明显超出法定标准，经复核认定为不合理诉求。",
    "同一诉求人就已依法办结事项反复投诉，经审核认定为不合理诉求。",
)

# Platforms per worker type (name, weight); platforms with a demo branch unit are in demo.py.
PLATFORMS: dict[str, tuple[tuple[str, int], ...]] = {
    FOOD: (("美团", 45), ("饿了么", 40), ("京东", 8), ("达达", 7)),
    COURIER: (
        ("顺丰", 25),
        ("京东", 20),
        ("中通", 12),
        ("圆通", 10),
        ("韵达", 10),
        ("极兔", 8),
        ("闪送", 8),
        ("达达", 7),
    ),
    RIDE: (("滴滴", 50), ("高德", 15), ("T3出行", 12), ("曹操出行", 10), ("花小猪", 8), ("享道", 5)),
    TRUCK: (("货拉拉", 55), ("满帮", 25), ("快狗打车", 20)),
    DRIVER: (("e代驾", 55), ("滴滴", 45)),
    STREAMER: (("抖音", 50), ("快手", 40), ("视频号", 10)),
    OTHER: (("闪送", 40), ("UU跑腿", 30), ("达达", 30)),
}
