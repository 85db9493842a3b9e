"""Closed vocabularies shared by rendering and checklists: display order and Chinese labels.

The values themselves are enforced by the JSON Schemas; this module only orders and names them.
"""

from __future__ import annotations

HOLDER_ORDER = ("党组织", "党组织书记", "专职副书记", "校长", "领导班子", "其他班子成员")
BODY_ORDER = ("校长办公会议", "党组织会议", "党政联席会议", "教职工代表大会", "党组织书记", "校长", "上级党组织", "上级主管部门")
MEETING_BODIES = ("党组织会议", "校长办公会议")

ASPECT_LABELS = {
    "status": "定位", "convener": "召集主持", "delegate": "委托主持", "members": "参加人员", "sit_in": "列席",
    "agenda": "议题确定", "advance_notice": "会前送达", "prior_communication": "会前沟通", "frequency": "召开频次",
    "quorum": "到会人数", "item_by_item": "一事一议", "speaking_order": "表态顺序", "vote": "表决规则",
    "decision": "决定方式", "deferral": "暂缓与缓议", "escalation": "提交党组织会议", "consultation": "听取意见与论证",
    "roles": "监督员与记录员", "records": "会议记录",
}

SUPPORT_LABELS = {
    "organisation": "组织领导", "posts": "职数与岗位", "staffing": "人员配备", "funding": "经费保障",
    "training": "培训", "allowance": "津贴", "facility": "阵地", "incentive": "激励", "supervision": "督查与考核",
}

ORG_TYPES = ("党委", "党总支", "党支部")
MODES = ("一肩挑", "分设")
STAGES = ("幼儿园", "小学", "初中", "高中", "九年一贯制学校", "十二年一贯制学校", "完全中学", "中等职业学校")
OWNERSHIPS = ("公办", "民办")
RESULTS = ("达标", "基本达标", "未达标", "不适用")
UNKNOWN = "未知"

RELATION_LABELS = {"exemplifies": "示例", "stricter": "更严", "variant": "另一种做法", "conflicts": "与之不同"}
