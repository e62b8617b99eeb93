"""Reference data: the twelve first-level categories (data/categories.py, from categories.yaml) and the
default time limits of appeals.md. Values are copied here so that later edits of the app code do not change
what this migration did."""

from django.db import migrations

CATEGORIES = [
    (
        "WAGE",
        "劳动报酬",
        "欠薪、拖延结算、克扣、计件/计单规则不透明、押金不退、与站点或代理商结算纠纷",
        "人社部门（劳动保障监察）",
        "government_dept",
    ),
    (
        "PLATFORM",
        "平台规则与算法",
        "派单、配送时限、超时罚款、差评申诉、封号/冻结、抽成比例、规则变更（算法取中）",
        "平台企业（党组织/工会）协调，网信/交通/市场监管部门",
        "platform_enterprise",
    ),
    (
        "INSURANCE",
        "社会保险与职业伤害",
        "参保、职业伤害保障、工作中受伤与赔偿、医疗费用",
        "人社部门（社保经办）、医保部门",
        "government_dept",
    ),
    (
        "CONTRACT",
        "劳动关系",
        "合同、外包/众包/劳务派遣身份、辞退、被迫离职、站点强制工时",
        "人社部门、劳动人事争议仲裁委、工会",
        "government_dept",
    ),
    (
        "ACCESS",
        "通行与进入",
        '小区、写字楼、校园、医院不让进，门禁、电梯、登记规则，"最后100米"',
        "街道/社区、物业（住建部门）",
        "street_office",
    ),
    (
        "PARKING",
        "停车与充电",
        "停车位、电动车罚款与贴条、充电/换电、电动车登记上牌",
        "交警、城管、街道",
        "government_dept",
    ),
    (
        "REST",
        "休息与生活服务",
        "爱心驿站、如厕、就餐、饮水、避暑取暖避雨、手机充电",
        "社区、工会、驿站运营单位",
        "community_committee",
    ),
    (
        "LIVING",
        "安居与子女",
        "租房、宿舍、保障性租赁住房、子女入学与假期托管、户籍/居住证",
        "住建部门、教育部门、公安（居住证）",
        "government_dept",
    ),
    (
        "HEALTH",
        "身心健康",
        "体检、疾病、心理压力、防暑、医疗服务（非工伤）",
        "卫健部门、社区卫生服务中心",
        "government_dept",
    ),
    (
        "DISPUTE",
        "纠纷与安全",
        "与顾客/商家/保安冲突、被打、威胁、车辆被盗、法律援助",
        "公安、司法行政（法律援助）、人民调解",
        "government_dept",
    ),
    ("SKILL", "技能与发展", "培训、技能证书、学历提升、转岗、职称", "人社部门、工会", "government_dept"),
    (
        "PARTICIPATION",
        "组织与参与",
        "入会入党、志愿服务、参与社区治理建议、感谢表扬、参加活动",
        "社会工作部、工会",
        "social_work_dept",
    ),
]

# (clock, urgency, amount, unit)
TIME_LIMITS = [
    ("sign_for", "normal", 2, "working_hours"),
    ("sign_for", "urgent", 30, "calendar_minutes"),
    ("first_contact", "normal", 1, "working_days"),
    ("first_contact", "urgent", 2, "calendar_hours"),
    ("handle", "normal", 5, "working_days"),
    ("handle", "urgent", 1, "working_days"),
    ("revisit", "normal", 3, "working_days"),
    ("revisit", "urgent", 3, "working_days"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    TimeLimit = apps.get_model("appeals", "TimeLimit")
    for i, (code, name, scope, default_unit, unit_type) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "scope": scope,
                "default_unit": default_unit,
                "default_unit_type": unit_type,
                "order": (i + 1) * 10,
            },
        )
    for clock, urgency, amount, unit in TIME_LIMITS:
        TimeLimit.objects.update_or_create(
            category=None, clock=clock, urgency=urgency, defaults={"amount": amount, "unit": unit}
        )


def unseed(apps, schema_editor):
    apps.get_model("appeals", "TimeLimit").objects.filter(category=None).delete()
    apps.get_model("appeals", "Category").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
