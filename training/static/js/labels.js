
export const ROLE_LABELS = { admin: "管理员", official: "官员", school: "学校", surveyor: "调查员" };
export const NEARNESS_LABELS = { same_village: "本村", same_township: "本乡镇", same_county: "本县" };
export const SKILL_LEVELS = {
  junior: "五级/初级工", intermediate: "四级/中级工", senior: "三级/高级工",
  technician: "二级/技师", senior_technician: "一级/高级技师",
};
export const COURSE_KINDS = { long: "长期培训", short: "短期技能培训", entrepreneurship: "创业培训", practical: "农业实用技术" };
export const SESSION_STATUS = { draft: "草稿", published: "已发布", cancelled: "已取消" };
// Labels for API field names when the form that caused the error has no matching input.
export const FIELD_LABELS = {
  username: "用户名", password: "密码", name: "名称", trade_codes: "工种", trade_code: "工种",
  title: "名称", kind: "类型", hours: "学时", certificate: "是否发证", skill_level: "技能等级",
  min_age: "最低年龄", max_age: "最高年龄", min_education: "最低学历", description: "说明",
  quantity: "数量", school_id: "学校", course_id: "课程", starts_on: "开始日期", ends_on: "结束日期",
  village_code: "培训地点（村）", township_code: "乡镇", capacity: "招生人数", teacher_ids: "授课教师",
  schedule: "教学安排", venue: "具体地点", status: "状态", starts_from: "开始日期（起）",
  starts_to: "开始日期（止）", limit: "每页条数", offset: "跳过条数", parent_code: "上级区划",
  q: "关键词", "(body)": "请求内容",
};
export const CAN_MANAGE_SCHOOLS = ["admin", "school"];
export const PAGE_SIZES = [20, 50, 100];
