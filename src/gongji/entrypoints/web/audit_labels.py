"""Chinese labels of audit actions and entities (issue 17: no raw codes on a page; the code
stays in a tooltip and in the export's last column).

An action is ``<area>.<verb>`` (``person.read``, ``family.pay``, ``nhsa.2201``); a label is the
exact one below, else the area's and the verb's words, else "其他操作".
"""

from __future__ import annotations

EXACT = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "auth.password_changed": "修改密码",
    "auth.password_reset": "重置密码",
    "auth.reset_code_issued": "发放重置验证码",
    "person.read": "查阅人员完整档案",
    "person.reads": "查阅人员被查询记录",
    "person.register": "登记人员",
    "person.export": "导出人员查询结果",
    "audit.export": "导出审计日志",
    "employer.register": "登记单位",
    "user.create": "创建账号",
    "demo.generate": "生成演示数据",
    "demo.opening": "演示数据期初",
    "ledger.reverse": "冲正",
    "nhsa.1101": "医院查询人员信息",
    "nhsa.2201": "医院门诊挂号",
    "nhsa.2202": "医院撤销挂号",
    "nhsa.2205": "医院撤销结算",
    "nhsa.2208": "医院撤销结算",
    "nhsa.5203": "医院查询结算信息",
    "nhsa.3201": "医院提交总额对账",
    "nhsa.3202": "医院提交明细对账",
    "nhsa.2207": "医院门诊结算",
    "nhsa.2304": "医院住院结算",
}

AREA = {
    "auth": "登录",
    "person": "人员",
    "account": "个人账户",
    "employer": "单位",
    "enrollment": "参保",
    "family": "家庭共济",
    "family_fraud_case": "违规共济案件",
    "family_payment": "共济支付",
    "chronic": "门诊慢特病",
    "offsite": "异地就医备案",
    "onething": "“一件事”办件",
    "premium": "居民保费",
    "premium_clearing": "保费划扣清算",
    "clearing": "共济资金清算",
    "collection": "征缴",
    "calendar": "工作日历",
    "calendar_override": "工作日历",
    "institution": "定点机构",
    "apikey": "接入密钥",
    "ec_token": "医保电子凭证",
    "rx": "外配处方",
    "prescription": "外配处方",
    "resident": "居民参保登记",
    "settlement": "结算",
    "subsidy": "参保资助",
    "subsidy_recovery": "资助金追回",
    "tax": "税务",
    "tax_recon": "税务对账",
    "tax_recon_week": "税务对账",
    "tax_recon_difference": "税务对账差异",
    "tax_request": "税务请求",
    "township_cash_receipt": "乡镇现金收款",
    "ledger": "记账",
    "ledger_txn": "记账",
    "nhsa": "医院接口",
    "demo": "演示数据",
    "user": "账号",
    "audit": "审计日志",
}

VERB = {
    "read": "查阅",
    "register": "登记",
    "create": "创建",
    "apply": "申请",
    "approve": "审核通过",
    "reject": "退回",
    "revoke": "撤销",
    "cancel": "撤销",
    "confirm": "确认",
    "export": "导出",
    "print": "打印",
    "freeze": "冻结",
    "unfreeze": "解冻",
    "issue": "发放",
    "rotate": "轮换",
    "pay": "支付",
    "unbind": "解除绑定",
    "bind": "绑定",
    "agreement": "签署协议",
    "run": "运行",
    "generate": "生成",
    "transfer": "划转",
    "remit": "解缴",
    "notice": "通知",
    "resolve": "处理",
    "plan": "计划",
    "set": "设置",
    "clear": "清除",
    "close": "办结",
    "recognize": "认定",
    "rollover": "年度结转",
    "upload": "上传",
    "fetch": "调取",
    "dispense": "发药",
    "doubt": "存疑",
    "refuse": "拒绝",
    "publish": "发布",
    "settle": "结算",
    "difference": "差异",
    "tables": "报表",
    "assign": "分配",
    "contact": "联系",
    "posting": "公示",
    "treasury": "入库",
    "student": "学生备案",
    "part": "分段办理",
    "proof": "材料",
    "visit": "就诊",
    "overdue_list": "逾期清单",
    "history_read": "查阅历史",
    "family_read": "查阅家庭",
    "status_read": "查阅状态",
    "refund_request": "退费申请",
    "refund_review": "退费审核",
    "certificate_issue": "开具凭证",
    "resident_lookup": "查询居民",
    "write_off": "核销",
    "recovery_write_off": "追回核销",
    "recovery_write_off_request": "追回核销申请",
    "recovery_collect": "追回收款",
    "recovery_open": "立案追回",
    "cash_receipt": "现金收款",
    "unit_create": "新增单位",
    "unit_update": "修改单位",
    "unpaid_list": "未缴清单",
    "staff_scope": "人员范围",
    "task_compute": "任务计算",
    "task_freeze": "任务冻结",
    "task_sync": "任务同步",
    "income": "入账",
    "change": "变更",
    "stop": "停保",
    "suspend": "暂停",
    "resume": "恢复",
    "end": "终止",
    "interrupt": "断缴",
}

ENTITY = AREA | {
    "audit_log": "审计日志",
    "resident_registration": "居民参保登记表",
    "resident_change": "居民变更登记",
    "resident_stop": "居民停保",
    "visit": "就诊",
    "binding": "共济绑定",
    "family_binding": "共济绑定",
    "roster": "花名册",
    "app_user": "账号",
}


def action_zh(action: str) -> str:
    if action in EXACT:
        return EXACT[action]
    area, _, rest = action.partition(".")
    area_zh = AREA.get(area)
    verbs = [VERB[v] for v in rest.split(".") if v in VERB]
    if area_zh is None:
        return "其他操作"
    if verbs or not rest:
        return "·".join([area_zh, *verbs])
    return f"{area_zh}·其他操作"


def entity_zh(entity: str) -> str:
    return ENTITY.get(entity, "其他")
