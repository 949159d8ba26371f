"""Seed data for event categories and departments (pure data, no database).

Categories follow GB/T 30428.2 (数字化城市管理信息系统 第2部分: 管理部件和事件): a two-level tree
of a 2-digit big class and a 4-digit small class whose code starts with its parent's, extended
with the livelihood classes the 12345 / 81890 hotlines receive and the food-safety classes that
kitchen cameras (明厨亮灶) raise. Departments are named as Linzi district (淄博市临淄区) has them.

Settings of a small class:
- department: who handles it when it is not (or cannot be) handled by the grid agent;
- self_handleable: a minor street issue the grid agent resolves on the spot (劝导, 清理);
- response / resolution in `unit`: HOURS are clock hours (emergencies run around the clock),
  WORKING_DAYS count office time (backend.worktime);
- duplicate_radius_m / duplicate_window_h: an open report of the same class within that
  distance and age is a duplicate (a burst main floods 200 m; an overflowing bin is one spot).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    parent: str | None
    department: str | None  # small classes only: a Department code
    self_handleable: bool
    response: float
    resolution: float
    unit: str  # "HOURS" | "WORKING_DAYS"
    urgency: str  # "LOW" | "NORMAL" | "URGENT"
    duplicate_radius_m: float
    duplicate_window_h: float


UNITS = ("HOURS", "WORKING_DAYS")
URGENCIES = ("LOW", "NORMAL", "URGENT")
# the township (镇/街道) handles it itself, e.g. a neighbours' quarrel or community facilities
TOWNSHIP = "JD"

DEPARTMENTS: tuple[Department, ...] = (
    Department("CGJ", "临淄区综合行政执法局"),
    Department("ZJJ", "临淄区住房和城乡建设局"),
    Department("SCJ", "临淄区市场监督管理局"),
    Department("HBJ", "淄博市生态环境局临淄分局"),
    Department("GAJ", "淄博市公安局临淄分局"),
    Department("YJJ", "临淄区应急管理局"),
    Department("JTJ", "临淄区交通运输局"),
    Department("SLJ", "临淄区水利局"),
    Department("YLJ", "临淄区园林环卫保障服务中心"),
    Department("RSJ", "临淄区人力资源和社会保障局"),
    Department("MZJ", "临淄区民政局"),
    Department("WJJ", "临淄区卫生健康局"),
    Department("GDJ", "国网淄博市临淄区供电公司"),
    Department("XF", "临淄区消防救援大队"),
    Department(TOWNSHIP, "属地镇（街道）"),
)

_BIG: tuple[tuple[str, str], ...] = (
    ("01", "市容环境"),
    ("02", "宣传广告"),
    ("03", "施工管理"),
    ("04", "突发事件"),
    ("05", "街面秩序"),
    ("06", "公共设施"),
    ("07", "道路交通"),
    ("08", "园林绿化"),
    ("09", "环境保护"),
    ("10", "民生诉求"),
    ("11", "食品安全"),
)

_H, _WD = UNITS
_LOW, _NORMAL, _URGENT = URGENCIES

# code, name, department, self_handleable, response, resolution, unit, urgency, radius m, window h
_SMALL: tuple[tuple[str, str, str, bool, float, float, str, str, float, float], ...] = (
    # 市容环境: mostly the grid agent's own round; heaps of muck need a truck (执法局 环卫)
    ("0101", "暴露垃圾", "CGJ", True, 1, 24, _H, _NORMAL, 50, 48),
    ("0102", "积存垃圾渣土", "CGJ", False, 1, 3, _WD, _NORMAL, 100, 72),
    ("0103", "道路不洁", "CGJ", True, 2, 24, _H, _LOW, 100, 24),
    ("0104", "乱堆物堆料", "CGJ", True, 2, 24, _H, _NORMAL, 50, 48),
    ("0105", "违规晾晒", "CGJ", True, 0.2, 1, _WD, _LOW, 30, 48),
    ("0106", "焚烧垃圾树叶", "CGJ", True, 0.5, 4, _H, _NORMAL, 100, 6),
    ("0107", "垃圾满溢", "CGJ", True, 1, 24, _H, _NORMAL, 30, 24),
    # 宣传广告
    ("0201", "违规户外广告", "CGJ", False, 1, 5, _WD, _NORMAL, 50, 72),
    ("0202", "非法小广告", "CGJ", True, 2, 24, _H, _LOW, 50, 48),
    ("0203", "占道广告牌", "CGJ", True, 0.2, 1, _WD, _LOW, 30, 48),
    ("0204", "广告牌匾破损", "CGJ", False, 1, 3, _WD, _NORMAL, 30, 72),
    # 施工管理: sites are 住建's, what spills onto the street is 执法局's
    ("0301", "施工扰民", "CGJ", False, 1, 3, _WD, _NORMAL, 200, 24),
    ("0302", "工地扬尘", "ZJJ", False, 2, 24, _H, _NORMAL, 200, 24),
    ("0303", "渣土车遗撒", "CGJ", False, 1, 12, _H, _NORMAL, 200, 24),
    ("0304", "施工占道", "CGJ", False, 1, 3, _WD, _NORMAL, 100, 72),
    ("0305", "夜间违规施工", "CGJ", False, 1, 8, _H, _NORMAL, 200, 12),
    ("0306", "违法建设", "CGJ", False, 1, 10, _WD, _NORMAL, 30, 72),
    # 突发事件: around the clock, never left to the grid agent alone
    ("0401", "路面塌陷", "ZJJ", False, 0.5, 24, _H, _URGENT, 200, 24),
    ("0402", "自来水管破裂", "SLJ", False, 0.5, 24, _H, _URGENT, 200, 24),
    ("0403", "燃气泄漏", "ZJJ", False, 0.5, 4, _H, _URGENT, 200, 12),
    ("0404", "火灾隐患", "XF", False, 0.5, 8, _H, _URGENT, 100, 24),
    ("0405", "道路积水", "ZJJ", False, 1, 12, _H, _URGENT, 200, 12),
    ("0406", "井盖缺失", "ZJJ", False, 0.5, 4, _H, _URGENT, 30, 24),
    ("0407", "电力线路断落", "GDJ", False, 0.5, 8, _H, _URGENT, 200, 12),
    ("0408", "危险化学品泄漏", "YJJ", False, 0.5, 4, _H, _URGENT, 200, 12),
    # 街面秩序
    ("0501", "占道经营", "CGJ", True, 1, 24, _H, _NORMAL, 50, 24),
    ("0502", "店外经营", "CGJ", True, 1, 24, _H, _NORMAL, 30, 48),
    ("0503", "流动摊贩", "CGJ", True, 1, 24, _H, _LOW, 100, 24),
    ("0504", "机动车乱停放", "GAJ", False, 1, 8, _H, _NORMAL, 50, 24),
    ("0505", "共享单车乱停放", "CGJ", True, 2, 24, _H, _LOW, 50, 24),
    ("0506", "露天烧烤", "CGJ", True, 1, 12, _H, _NORMAL, 100, 24),
    # 公共设施
    ("0601", "路灯损坏", "CGJ", False, 1, 3, _WD, _NORMAL, 100, 72),
    ("0602", "井盖破损", "ZJJ", False, 1, 3, _WD, _NORMAL, 30, 72),
    ("0603", "垃圾桶破损", "CGJ", False, 1, 3, _WD, _LOW, 30, 72),
    ("0604", "公厕问题", "CGJ", False, 1, 2, _WD, _NORMAL, 50, 48),
    ("0605", "健身器材损坏", TOWNSHIP, False, 1, 5, _WD, _LOW, 30, 72),
    ("0606", "消防栓损坏", "XF", False, 1, 3, _WD, _NORMAL, 30, 72),
    # 道路交通: city streets are 住建's, highways and their railings 交通's, signs 交警's
    ("0701", "道路破损", "ZJJ", False, 1, 5, _WD, _NORMAL, 100, 72),
    ("0702", "交通标志损坏", "GAJ", False, 1, 5, _WD, _NORMAL, 50, 72),
    ("0703", "护栏损坏", "JTJ", False, 1, 5, _WD, _NORMAL, 50, 72),
    ("0704", "盲道占用", "CGJ", True, 2, 24, _H, _LOW, 30, 48),
    ("0705", "交通信号灯故障", "GAJ", False, 1, 8, _H, _NORMAL, 100, 12),
    # 园林绿化
    ("0801", "绿地破坏", "YLJ", False, 1, 5, _WD, _NORMAL, 50, 72),
    ("0802", "树木倒伏", "YLJ", False, 1, 12, _H, _URGENT, 100, 24),
    ("0803", "绿地脏乱", "YLJ", True, 2, 24, _H, _LOW, 50, 48),
    ("0804", "病虫害", "YLJ", False, 1, 10, _WD, _LOW, 200, 72),
    # 环境保护: Linzi is a chemical-industry district, so odours and fumes come often
    ("0901", "噪声扰民", "HBJ", False, 1, 5, _WD, _NORMAL, 200, 72),
    ("0902", "餐饮油烟", "CGJ", False, 1, 5, _WD, _NORMAL, 50, 72),
    ("0903", "污水直排", "HBJ", False, 1, 3, _WD, _NORMAL, 200, 48),
    ("0904", "违规排放废气", "HBJ", False, 2, 24, _H, _NORMAL, 200, 24),
    ("0905", "异味扰民", "HBJ", False, 2, 24, _H, _NORMAL, 200, 24),
    # 民生诉求 (12345 / 81890 hotline): working days, 1 to answer, 3-15 to resolve
    ("1001", "供水停水", "SLJ", False, 1, 3, _WD, _NORMAL, 50, 72),
    ("1002", "供暖不热", "ZJJ", False, 1, 3, _WD, _NORMAL, 50, 72),
    ("1003", "物业纠纷", "ZJJ", False, 1, 10, _WD, _NORMAL, 50, 72),
    ("1004", "拖欠工资", "RSJ", False, 1, 15, _WD, _NORMAL, 50, 72),
    ("1005", "养老服务", "MZJ", False, 1, 10, _WD, _NORMAL, 50, 72),
    ("1006", "低保救助咨询", "MZJ", False, 1, 5, _WD, _NORMAL, 50, 72),
    ("1007", "医疗卫生投诉", "WJJ", False, 1, 10, _WD, _NORMAL, 50, 72),
    ("1008", "邻里纠纷", TOWNSHIP, False, 1, 5, _WD, _NORMAL, 50, 72),
    # 食品安全: complaints from the hotline, and kitchen-camera alarms (same kitchen = 30 m)
    ("1101", "食品安全投诉", "SCJ", False, 1, 7, _WD, _NORMAL, 50, 72),
    ("1102", "后厨人员未规范穿戴", "SCJ", False, 1, 3, _WD, _LOW, 30, 24),
    ("1103", "后厨鼠患", "SCJ", False, 1, 3, _WD, _NORMAL, 30, 72),
    ("1104", "无证经营食品", "SCJ", False, 1, 10, _WD, _NORMAL, 30, 72),
)

CATEGORIES: tuple[Category, ...] = (
    # big classes first, so a loader can insert parents before their children
    *(Category(code, name, None, None, False, 0, 0, _H, _NORMAL, 0, 0) for code, name in _BIG),
    *(Category(code, name, code[:2], dept, self_h, resp, resol, unit, urg, radius, window)
      for code, name, dept, self_h, resp, resol, unit, urg, radius, window in _SMALL),
)

# device alarm type -> small class; cameras, sensors and kitchen AI raise these
ALARM_CATEGORIES: dict[str, str] = {
    "SMOKE": "0404",
    "FLAME": "0404",
    "GAS_LEAK": "0403",
    "DUST_PM10": "0302",
    "DUST_PM25": "0302",
    "MUCK_TRUCK_SPILL": "0303",
    "NIGHT_CONSTRUCTION": "0305",
    "NOISE": "0901",
    "OIL_FUME": "0902",
    "KITCHEN_NO_HAT": "1102",
    "KITCHEN_NO_MASK": "1102",
    "KITCHEN_RAT": "1103",
    "WATERLOGGING": "0405",
    "MANHOLE_OPEN": "0406",
    "GARBAGE_OVERFLOW": "0107",
    "EXPOSED_GARBAGE": "0101",
    "STREET_VENDOR": "0503",
    "OUT_OF_STORE": "0502",
    "ILLEGAL_PARKING": "0504",
}
