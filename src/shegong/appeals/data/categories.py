"""First-level appeal categories, generated from categories.yaml (same folder) at build time.

Chinese text here is domain data, not msgids. `default_unit_type` maps the YAML's `default_unit` (a
description of who handles it) onto divisions.choices.UnitType; `default_unit` is kept as text.
"""

CATEGORIES: list[dict[str, str | int]] = [
    {
        "code": "WAGE",
        "name": "劳动报酬",
        "scope": "欠薪、拖延结算、克扣、计件/计单规则不透明、押金不退、与站点或代理商结算纠纷",
        "default_unit": "人社部门（劳动保障监察）",
        "default_unit_type": "government_dept",
        "order": 10,
    },
    {
        "code": "PLATFORM",
        "name": "平台规则与算法",
        "scope": "派单、配送时限、超时罚款、差评申诉、封号/冻结、抽成比例、规则变更（算法取中）",
        "default_unit": "平台企业（党组织/工会）协调，网信/交通/市场监管部门",
        "default_unit_type": "platform_enterprise",
        "order": 20,
    },
    {
        "code": "INSURANCE",
        "name": "社会保险与职业伤害",
        "scope": "参保、职业伤害保障、工作中受伤与赔偿、医疗费用",
        "default_unit": "人社部门（社保经办）、医保部门",
        "default_unit_type": "government_dept",
        "order": 30,
    },
    {
        "code": "CONTRACT",
        "name": "劳动关系",
        "scope": "合同、外包/众包/劳务派遣身份、辞退、被迫离职、站点强制工时",
        "default_unit": "人社部门、劳动人事争议仲裁委、工会",
        "default_unit_type": "government_dept",
        "order": 40,
    },
    {
        "code": "ACCESS",
        "name": "通行与进入",
        "scope": '小区、写字楼、校园、医院不让进，门禁、电梯、登记规则，"最后100米"',
        "default_unit": "街道/社区、物业（住建部门）",
        "default_unit_type": "street_office",
        "order": 50,
    },
    {
        "code": "PARKING",
        "name": "停车与充电",
        "scope": "停车位、电动车罚款与贴条、充电/换电、电动车登记上牌",
        "default_unit": "交警、城管、街道",
        "default_unit_type": "government_dept",
        "order": 60,
    },
    {
        "code": "REST",
        "name": "休息与生活服务",
        "scope": "爱心驿站、如厕、就餐、饮水、避暑取暖避雨、手机充电",
        "default_unit": "社区、工会、驿站运营单位",
        "default_unit_type": "community_committee",
        "order": 70,
    },
    {
        "code": "LIVING",
        "name": "安居与子女",
        "scope": "租房、宿舍、保障性租赁住房、子女入学与假期托管、户籍/居住证",
        "default_unit": "住建部门、教育部门、公安（居住证）",
        "default_unit_type": "government_dept",
        "order": 80,
    },
    {
        "code": "HEALTH",
        "name": "身心健康",
        "scope": "体检、疾病、心理压力、防暑、医疗服务（非工伤）",
        "default_unit": "卫健部门、社区卫生服务中心",
        "default_unit_type": "government_dept",
        "order": 90,
    },
    {
        "code": "DISPUTE",
        "name": "纠纷与安全",
        "scope": "与顾客/商家/保安冲突、被打、威胁、车辆被盗、法律援助",
        "default_unit": "公安、司法行政（法律援助）、人民调解",
        "default_unit_type": "government_dept",
        "order": 100,
    },
    {
        "code": "SKILL",
        "name": "技能与发展",
        "scope": "培训、技能证书、学历提升、转岗、职称",
        "default_unit": "人社部门、工会",
        "default_unit_type": "government_dept",
        "order": 110,
    },
    {
        "code": "PARTICIPATION",
        "name": "组织与参与",
        "scope": "入会入党、志愿服务、参与社区治理建议、感谢表扬、参加活动",
        "default_unit": "社会工作部、工会",
        "default_unit_type": "social_work_dept",
        "order": 120,
    },
]
