"""Seed data of the door-to-door service catalogue (上门代办事项清单); pure data, no database.

The items are those Shandong village proxies (村级代办员) actually handle: the social-security
items 人社 moved down to the village (居民养老保险参保登记, 待遇资格认证, 社保卡申领补换 ...) and
the items of the other district departments (高龄津贴, 残疾人证, 低保, 临时救助, 退役军人信息采集,
出生登记, 居住证 ...). Per item:
- department: who approves it (a Department code; new ones are added beside the events' 15);
- proxy_allowed: whether an agent may do it on the resident's behalf (a few need the person:
  first issue of an ID card takes fingerprints and a photo at the window);
- home_for_key_groups: offered at home to key groups (特殊群体不出门);
- time_limit_days: the department's promised time in WORKING days (承诺时限);
- materials: what the agent collects (申请材料);
- validity_days: a qualification that must be renewed (yearly pension qualification check),
  which produces a reminder before it expires; None when the result does not expire.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.events.catalogue import Department


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    department: str
    proxy_allowed: bool
    home_for_key_groups: bool
    time_limit_days: int
    materials: tuple[str, ...]
    validity_days: int | None = None


# Departments the items need that the events catalogue does not have yet (RSJ 人社, MZJ 民政,
# WJJ 卫健, GAJ 公安 are already there: reused, never renumbered).
DEPARTMENTS: tuple[Department, ...] = (
    Department("YBJ", "临淄区医疗保障局"),
    Department("CL", "临淄区残疾人联合会"),
    Department("TYJ", "临淄区退役军人事务局"),
    Department("SPJ", "临淄区行政审批服务局"),
    Department("NYJ", "临淄区农业农村局"),
    Department("JYJ", "临淄区教育和体育局"),
    Department("SWJ", "国家税务总局淄博市临淄区税务局"),
    Department("GJJ", "淄博市住房公积金管理中心临淄分中心"),
)

_ID = "居民身份证"
_HUKOU = "户口簿"
_PHOTO = "近期免冠照片"
_BANK = "本人银行卡（社保卡）"
_YEAR = 365

ITEMS: tuple[Item, ...] = (
    # 人社局: the social-security items done in the village
    Item("RS01", "城乡居民基本养老保险参保登记", "RSJ", True, True, 5, (_ID, _HUKOU)),
    Item("RS02", "城乡居民养老保险待遇资格认证", "RSJ", True, True, 3, (_ID,), _YEAR),
    Item("RS03", "城乡居民养老保险待遇申领", "RSJ", True, True, 10, (_ID, _HUKOU, _BANK)),
    Item("RS04", "城乡居民养老保险缴费档次变更", "RSJ", True, False, 3, (_ID,)),
    Item("RS05", "社会保障卡申领", "RSJ", True, True, 15, (_ID, _PHOTO)),
    Item("RS06", "社会保障卡补换", "RSJ", True, True, 10, (_ID, _PHOTO, "挂失证明")),
    Item("RS07", "社会保障卡挂失与解挂", "RSJ", True, True, 1, (_ID,)),
    Item("RS08", "城乡居民养老保险关系转移接续", "RSJ", True, False, 15,
         (_ID, "参保缴费凭证")),
    Item("RS09", "城乡居民养老保险注销登记（丧葬补助金领取）", "RSJ", True, True, 10,
         (_ID, "死亡证明", "继承人银行卡")),
    Item("RS10", "就业创业证申领", "RSJ", True, False, 5, (_ID, _PHOTO)),
    Item("RS11", "失业登记", "RSJ", True, False, 3, (_ID, "解除劳动合同证明")),
    Item("RS12", "被征地农民养老保险补贴申请", "RSJ", True, True, 20,
         (_ID, _HUKOU, "征地安置材料")),
    # 医保局
    Item("YB01", "城乡居民基本医疗保险参保登记", "YBJ", True, True, 3, (_ID, _HUKOU)),
    Item("YB02", "门诊慢特病待遇认定申请", "YBJ", True, True, 15,
         (_ID, "二级以上医院诊断证明", "病历资料")),
    Item("YB03", "异地就医备案", "YBJ", True, True, 1, (_ID, "异地居住证明或承诺书")),
    Item("YB04", "医疗费用手工（零星）报销", "YBJ", True, True, 20,
         (_ID, "医疗费发票", "费用清单", "出院记录")),
    Item("YB05", "医疗救助申请", "YBJ", True, True, 15, (_ID, "医疗费用票据", "救助申请书")),
    # 民政局
    Item("MZ01", "高龄津贴申领", "MZJ", True, True, 10, (_ID, _HUKOU, _BANK)),
    Item("MZ02", "高龄津贴年度资格认证", "MZJ", True, True, 5, (_ID,), _YEAR),
    Item("MZ03", "最低生活保障申请", "MZJ", True, True, 30,
         (_ID, _HUKOU, "家庭收入及财产申报", "授权核对书")),
    Item("MZ04", "最低生活保障年度复核", "MZJ", True, True, 20,
         (_ID, "家庭收入及财产申报"), _YEAR),
    Item("MZ05", "特困人员救助供养申请", "MZJ", True, True, 30, (_ID, _HUKOU, "申请书")),
    Item("MZ06", "临时救助申请", "MZJ", True, True, 10, (_ID, "困难情况说明", "相关证明")),
    Item("MZ07", "经济困难老年人养老服务补贴申请", "MZJ", True, True, 15,
         (_ID, "经济状况证明")),
    Item("MZ08", "困境儿童基本生活保障申请", "MZJ", True, True, 20,
         (_HUKOU, "监护人身份证", "困境情况证明")),
    Item("MZ09", "殡葬惠民补贴申领", "MZJ", True, True, 10, ("火化证明", "死者身份证",
                                                          "经办人身份证")),
    # 残联
    Item("CL01", "残疾人证新办（评残申请）", "CL", True, True, 20, (_ID, _HUKOU, _PHOTO)),
    Item("CL02", "残疾人证换领、补办", "CL", True, True, 15, (_ID, _PHOTO, "原残疾人证")),
    Item("CL03", "困难残疾人生活补贴和重度残疾人护理补贴申请", "CL", True, True, 15,
         (_ID, "残疾人证", _BANK)),
    Item("CL04", "残疾人两项补贴年度资格复核", "CL", True, True, 10, ("残疾人证",), _YEAR),
    Item("CL05", "残疾人辅助器具适配申请", "CL", True, True, 20, ("残疾人证", "申请表")),
    # 退役军人事务局
    Item("TY01", "退役军人信息采集", "TYJ", True, True, 5, (_ID, "退伍证", _PHOTO)),
    Item("TY02", "悬挂光荣牌", "TYJ", True, True, 10, ("退伍证",)),
    Item("TY03", "优抚对象定期抚恤补助资格认证", "TYJ", True, True, 5, (_ID, "优抚证"),
         _YEAR),
    Item("TY04", "退役军人优待证申领", "TYJ", True, True, 20, (_ID, "退伍证", _PHOTO)),
    # 卫健委
    Item("WJ01", "计划生育家庭特别扶助金申请", "WJJ", True, True, 20,
         (_ID, _HUKOU, "独生子女证")),
    Item("WJ02", "农村部分计划生育家庭奖励扶助资格确认", "WJJ", True, True, 20,
         (_ID, _HUKOU, "独生子女证"), _YEAR),
    Item("WJ03", "生育登记服务", "WJJ", True, False, 1, ("夫妻双方身份证", "结婚证")),
    Item("WJ04", "老年人健康体检预约", "WJJ", True, True, 3, (_ID,)),
    # 公安分局: household registration
    Item("GA01", "出生登记（新生儿落户）", "GAJ", True, True, 5,
         ("出生医学证明", "父母身份证", _HUKOU, "结婚证")),
    Item("GA02", "居住证申领", "GAJ", True, False, 15, (_ID, _PHOTO, "居住证明")),
    Item("GA03", "居民身份证换领（到期换证）", "GAJ", True, True, 20, (_ID, _PHOTO)),
    Item("GA04", "居民身份证首次申领", "GAJ", False, False, 20, (_HUKOU,)),
    Item("GA05", "死亡注销户口", "GAJ", True, True, 3, ("死亡医学证明", _HUKOU)),
    # 行政审批服务局, 农业农村局, 教育, 税务, 公积金
    Item("SP01", "农村宅基地和建房（规划许可）申请", "SPJ", True, False, 20,
         (_ID, _HUKOU, "申请表", "村民会议决议")),
    Item("NY01", "耕地地力保护补贴申报", "NYJ", True, True, 10, (_ID, "土地承包经营权证",
                                                            _BANK)),
    Item("JY01", "家庭经济困难学生资助申请", "JYJ", True, True, 15,
         (_HUKOU, "学籍证明", "困难认定申请表")),
    Item("SW01", "个人所得税专项附加扣除信息填报", "SWJ", True, False, 1, (_ID,)),
    Item("GJ01", "住房公积金退休提取", "GJJ", True, True, 5, (_ID, "退休证明", _BANK)),
)
