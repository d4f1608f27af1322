"""Word tables the demo company is drawn from: Vietnamese people, companies, streets and work.

Surname weights follow VIETNAM.md §3 (Nguyễn ~38%, Trần ~11%, Lê ~9.5%, Phạm ~7%, Hoàng/Huỳnh
~5%, Phan ~4.5%, Vũ/Võ ~4%, Đặng/Bùi/Đỗ ~2% …). Hoàng/Huỳnh and Vũ/Võ are the northern and
southern forms of one name, so each region has its own split. Faker's vi_VN tables are too thin
for this (few surnames, some English given names), hence our own. Weights are relative.
"""

# --- people ---------------------------------------------------------------------------------------
_SURNAMES_COMMON = [
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Phan", 4.5),
    ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 2.0), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0),
    ("Lý", 0.5), ("Đinh", 0.8), ("Trịnh", 0.6), ("Đào", 0.6), ("Mai", 0.5), ("Lương", 0.4),
    ("Cao", 0.4), ("Lâm", 0.4), ("Hà", 0.4), ("Tạ", 0.3), ("Vương", 0.2), ("Triệu", 0.2),
    ("Chu", 0.2), ("Tô", 0.2), ("Thái", 0.2), ("Kiều", 0.1), ("Quách", 0.1), ("La", 0.1),
]  # fmt: skip
SURNAMES = {
    "north": [*_SURNAMES_COMMON, ("Hoàng", 4.0), ("Huỳnh", 1.0), ("Vũ", 3.0), ("Võ", 1.0)],
    "central": [*_SURNAMES_COMMON, ("Hoàng", 2.5), ("Huỳnh", 2.5), ("Vũ", 1.5), ("Võ", 2.5)],
    "south": [*_SURNAMES_COMMON, ("Hoàng", 1.0), ("Huỳnh", 4.0), ("Vũ", 1.0), ("Võ", 3.0)],
}

MIDDLE_NAMES = {
    "m": [
        ("Văn", 30), ("Minh", 10), ("Đức", 8), ("Quốc", 6), ("Hữu", 6), ("Đình", 5), ("Thành", 5),
        ("Công", 5), ("Quang", 5), ("Xuân", 4), ("Hoàng", 4), ("Thanh", 3), ("Tuấn", 3), ("Anh", 3),
        ("Gia", 3), ("Bảo", 3), ("Trọng", 3), ("Ngọc", 2), ("Văn Minh", 1), ("Đức Anh", 1), ("", 2),
    ],
    "f": [
        ("Thị", 35), ("Ngọc", 8), ("Thu", 6), ("Thanh", 6), ("Minh", 5), ("Phương", 4), ("Thùy", 4),
        ("Kim", 4), ("Hồng", 4), ("Mai", 3), ("Bảo", 3), ("Khánh", 3), ("Mỹ", 3), ("Thị Thu", 3),
        ("Thị Ngọc", 3), ("Thị Thanh", 2), ("Diệu", 2), ("Quỳnh", 2), ("Hải", 2), ("", 2),
    ],
}  # fmt: skip

GIVEN_NAMES = {
    "m": [
        "Hùng", "Dũng", "Tuấn", "Minh", "Đức", "Nam", "Long", "Hải", "Sơn", "Quân", "Huy", "Khoa",
        "Phong", "Thắng", "Trung", "Cường", "Hiếu", "Bình", "Tùng", "Việt", "Hoàng", "Kiên", "Lâm",
        "Phúc", "Tài", "Thịnh", "Vinh", "Khánh", "Đạt", "Bảo", "Hưng", "Nghĩa", "Thành", "Toàn",
        "Quang", "Tú", "An", "Duy", "Hậu", "Lộc", "Nhân", "Sang", "Tâm", "Thái", "Trí", "Vũ",
    ],
    "f": [
        "Lan", "Hương", "Linh", "Trang", "Hà", "Mai", "Ngọc", "Thảo", "Hoa", "Nhung", "Phương",
        "Huyền", "Yến", "Vy", "Anh", "Thủy", "Hằng", "Dung", "Quỳnh", "Nga", "Oanh", "Nhi", "Giang",
        "Ánh", "Trâm", "Hạnh", "Loan", "Hiền", "Châu", "My", "Tuyết", "Thư", "Uyên", "Vân", "Xuân",
        "Diệp", "Duyên", "Hồng", "Liên", "Ly", "Nhàn", "Tâm", "Thoa", "Trinh", "Hạ", "Ngân",
    ],
}  # fmt: skip

JOB_TITLES = [
    ("Giám đốc", "Ban giám đốc", 8), ("Phó giám đốc", "Ban giám đốc", 5),
    ("Trưởng phòng kinh doanh", "Phòng kinh doanh", 8), ("Nhân viên kinh doanh", "Phòng kinh doanh", 8),
    ("Trưởng phòng mua hàng", "Phòng mua hàng", 7), ("Nhân viên mua hàng", "Phòng mua hàng", 9),
    ("Kế toán trưởng", "Phòng kế toán", 6), ("Kế toán viên", "Phòng kế toán", 6),
    ("Trưởng phòng hành chính - nhân sự", "Phòng hành chính - nhân sự", 6),
    ("Chuyên viên hành chính", "Phòng hành chính - nhân sự", 6),
    ("Trưởng phòng IT", "Phòng công nghệ thông tin", 5), ("Kỹ sư hệ thống", "Phòng công nghệ thông tin", 4),
    ("Trợ lý giám đốc", "Ban giám đốc", 4), ("Chủ cửa hàng", "", 3), ("Quản lý cửa hàng", "", 3),
]  # fmt: skip

PERSONAL_MAIL_DOMAINS = [("gmail.com", 70), ("yahoo.com", 10), ("outlook.com", 8), ("icloud.com", 4)]

# --- companies ------------------------------------------------------------------------------------
BRAND_FIRST = [
    "Minh", "Hoàng", "Thành", "Phú", "Tân", "Hưng", "Việt", "Đại", "Kim", "An", "Bảo", "Gia",
    "Nhật", "Quang", "Thiên", "Trường", "Hồng", "Nam", "Đông", "Phương", "Hải", "Sơn", "Thái",
    "Đức", "Vạn", "Hòa", "Tiến", "Thịnh", "Phúc", "Long", "Ngọc", "Hữu", "Tấn", "Toàn", "Huy",
]  # fmt: skip
BRAND_SECOND = [
    "Phát", "Long", "Thịnh", "Đạt", "An", "Khang", "Tiến", "Hưng", "Thành", "Lộc", "Phúc", "Minh",
    "Nam", "Việt", "Sơn", "Hà", "Anh", "Huy", "Tài", "Vượng", "Hải", "Quang", "Ngân", "Mai",
    "Dương", "Nguyên", "Phong", "Lợi", "Trí", "Tín",
]  # fmt: skip
BRAND_WHOLE = [
    "Sao Mai", "Bình Minh", "Sông Hồng", "Mekong", "Trường Sơn", "Á Châu", "Đông Á", "Hoàn Cầu",
    "Thái Bình Dương", "Phương Nam", "Phương Đông", "Hồng Hà", "Cửu Long", "Hạ Long", "Tây Nguyên",
    "Ánh Dương", "Hoa Sen", "Kim Cương", "Bạch Mã", "Rạng Đông", "Sài Gòn Xanh", "Thăng Long",
]  # fmt: skip

#: (words in the company name, industry of the account, weight)
INDUSTRIES = [
    ("Thương mại và Dịch vụ", "Thương mại - Dịch vụ", 14),
    ("Thương mại", "Thương mại - Dịch vụ", 8),
    ("Xây dựng", "Xây dựng", 8),
    ("Đầu tư và Xây dựng", "Xây dựng", 4),
    ("Công nghệ", "Công nghệ thông tin", 6),
    ("Giải pháp Phần mềm", "Công nghệ thông tin", 3),
    ("Thực phẩm", "Thực phẩm - Đồ uống", 5),
    ("Dược phẩm", "Y tế - Dược phẩm", 3),
    ("Thiết bị Y tế", "Y tế - Dược phẩm", 3),
    ("Vận tải và Logistics", "Vận tải - Logistics", 4),
    ("Xuất nhập khẩu", "Xuất nhập khẩu", 4),
    ("Nội thất", "Nội thất", 3),
    ("Du lịch", "Du lịch - Khách sạn", 3),
    ("Giáo dục", "Giáo dục - Đào tạo", 3),
    ("May mặc", "Dệt may", 3),
    ("Nông sản", "Nông nghiệp", 3),
    ("Bất động sản", "Bất động sản", 3),
    ("In ấn và Quảng cáo", "Truyền thông - Quảng cáo", 3),
    ("Điện máy", "Bán lẻ", 2),
    ("Mỹ phẩm", "Bán lẻ", 2),
    ("Cơ khí", "Sản xuất", 3),
    ("Nhựa", "Sản xuất", 2),
    ("Bao bì", "Sản xuất", 2),
    ("Thép", "Sản xuất", 2),
    ("Kỹ thuật Điện", "Sản xuất", 2),
]

#: What a "Cửa hàng …" sells, with the account industry.
SHOPS = [
    ("Điện máy", "Bán lẻ"), ("Vật liệu xây dựng", "Xây dựng"), ("Văn phòng phẩm", "Bán lẻ"),
    ("Điện thoại", "Bán lẻ"), ("Thời trang", "Bán lẻ"), ("Mỹ phẩm", "Bán lẻ"),
    ("Thuốc tây", "Y tế - Dược phẩm"),
    ("Nội thất", "Nội thất"), ("Đồ gia dụng", "Bán lẻ"), ("Thực phẩm sạch", "Thực phẩm - Đồ uống"),
    ("Hoa tươi", "Bán lẻ"), ("Sách", "Bán lẻ"), ("Máy tính", "Công nghệ thông tin"), ("Bánh kẹo", "Bán lẻ"),
]  # fmt: skip

ACCOUNT_EMAIL_USERS = ["info", "lienhe", "kinhdoanh", "sales", "contact", "ketoan"]

# --- places ---------------------------------------------------------------------------------------
#: Provinces (NSO codes) where each branch finds its customers: the branch's city first, weighted.
REGIONS = {
    "north": [(1, 60), (31, 6), (22, 4), (24, 5), (33, 4), (37, 3), (19, 3), (25, 3), (38, 3), (40, 3),
              (15, 1), (8, 1), (20, 1), (4, 1), (11, 1), (14, 1)],
    "central": [(48, 55), (46, 10), (51, 8), (44, 6), (52, 5), (56, 7), (66, 5), (42, 4)],
    "south": [(79, 62), (75, 8), (80, 4), (92, 6), (86, 4), (82, 4), (91, 4), (96, 2), (68, 6)],
}  # fmt: skip
#: First two digits of a 10-digit tax code: the tax office of registration (pre-2025 numbering).
TAX_PREFIX = {1: "01", 79: "03", 31: "02", 48: "04", 92: "18", 56: "42", 75: "36", 22: "57", 24: "23"}
TAX_PREFIX_REGION = {
    "north": ["01", "02", "23", "27", "57"],
    "central": ["04", "33", "43"],
    "south": ["03", "36", "18"],
}
#: Three-digit province code opening a 12-digit personal id (CCCD), used as tax code since 7/2025.
CCCD_PREFIX = {
    "north": ["001", "031", "022", "024", "034"],
    "central": ["048", "046", "049"],
    "south": ["079", "075", "092"],
}
#: Landline area codes of the branch cities ("+84" + code + subscriber digits).
AREA_CODES = {1: ("24", 8), 79: ("28", 8), 48: ("236", 7), 31: ("225", 7), 92: ("292", 7)}

STREETS = [
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Điện Biên Phủ",
    "Nguyễn Trãi", "Lê Duẩn", "Phạm Văn Đồng", "Võ Văn Kiệt", "Bạch Đằng", "Quang Trung",
    "Nguyễn Văn Linh", "Trường Chinh", "Hùng Vương", "Lê Lai", "Phan Chu Trinh", "Nguyễn Du",
    "Láng Hạ", "Xuân Thủy", "Kim Mã", "Giải Phóng", "Cách Mạng Tháng Tám", "Nguyễn Thị Minh Khai",
    "Võ Thị Sáu", "Lê Văn Sỹ", "Hoàng Diệu", "Ngô Quyền", "Tôn Đức Thắng", "Nguyễn Chí Thanh",
]  # fmt: skip

# --- the demo company's own trade: office equipment and IT solutions ------------------------------
#: (what the deal is about, lowest and highest amount in millions of VND, weight)
PRODUCTS = [
    ("Trang bị máy tính văn phòng", 50, 800, 10),
    ("Máy in đa năng và máy photocopy", 20, 300, 9),
    ("Hệ thống camera an ninh", 30, 500, 8),
    ("Phần mềm quản lý bán hàng", 15, 200, 7),
    ("Hợp đồng bảo trì thiết bị năm", 20, 150, 7),
    ("Thiết bị mạng và wifi doanh nghiệp", 25, 400, 6),
    ("Tổng đài điện thoại IP", 20, 250, 5),
    ("Màn hình tương tác phòng họp", 40, 600, 5),
    ("Máy chấm công và kiểm soát ra vào", 15, 120, 5),
    ("Nội thất văn phòng", 80, 2000, 4),
    ("Văn phòng phẩm cả năm", 15, 200, 6),
    ("Quà Tết doanh nghiệp", 30, 900, 5),
    ("Trang bị phòng máy trường học", 300, 2000, 2),
    ("Giải pháp lưu trữ và sao lưu dữ liệu", 50, 1200, 3),
]
COMPETITORS = [
    "Tin học Đông Dương", "Thiết bị Văn phòng Á Âu", "Giải pháp số Trường Thịnh", "Kỹ thuật Hoàn Mỹ",
    "Công nghệ Bắc Nam", "Văn phòng Xanh",
]  # fmt: skip
NEXT_STEPS = [
    "Gửi báo giá chỉnh sửa", "Hẹn demo tại văn phòng khách", "Chờ khách phê duyệt ngân sách",
    "Gọi lại sau khi khách họp nội bộ", "Chuẩn bị dự thảo hợp đồng", "Khảo sát hiện trạng tại công trình",
    "Gửi hồ sơ năng lực", "Mời khách tham quan showroom",
]  # fmt: skip
LOST_REASONS = [
    ("Giá cao hơn đối thủ", 30), ("Khách hàng chọn nhà cung cấp khác", 20), ("Không có ngân sách", 15),
    ("Dự án bị hoãn", 12), ("Không liên lạc được với khách hàng", 8),
    ("Sản phẩm chưa đáp ứng yêu cầu kỹ thuật", 8), ("Thời gian giao hàng không phù hợp", 7),
]  # fmt: skip

LEAD_NOTES = [
    "Khách để lại thông tin trên website, cần tư vấn {product}.",
    "Được giới thiệu qua đối tác, quan tâm {product}.",
    "Gặp tại hội chợ, xin catalogue {product}.",
    "Nhắn tin qua Zalo OA hỏi giá {product}.",
    "Gọi đến tổng đài, muốn nhận báo giá {product}.",
]

# --- activities (subjects; {who} is "anh Đức", "chị Lan" or "khách hàng") ------------------------
CALL_SUBJECTS = [
    "Gọi điện giới thiệu sản phẩm cho {who}", "Gọi lại tư vấn báo giá cho {who}",
    "Gọi chăm sóc {who} sau bán hàng", "Xác nhận lịch hẹn với {who}", "Nhắc {who} thanh toán công nợ",
    "Gọi hỏi nhu cầu mua sắm cuối năm", "Gọi {who} xin phản hồi về báo giá",
]  # fmt: skip
CALL_OUTCOMES = [
    "Khách quan tâm, hẹn gửi báo giá trong tuần.", "Khách cần trao đổi thêm với giám đốc.",
    "Khách đã nhận báo giá, đang so sánh với đơn vị khác.", "Khách đồng ý gặp trực tiếp.",
    "Khách chưa có nhu cầu, gọi lại sau 3 tháng.", "Khách phản hồi tốt về dịch vụ bảo hành.",
]  # fmt: skip
MEETING_SUBJECTS = [
    "Gặp {who} tại văn phòng khách hàng", "Demo sản phẩm cho {who}", "Họp thương thảo hợp đồng",
    "Khảo sát hiện trạng thiết bị", "Ký hợp đồng với {who}", "Cà phê gặp gỡ {who}",
]  # fmt: skip
MEETING_PLACES = [
    "Văn phòng khách hàng", "Văn phòng Sen Việt", "Showroom Sen Việt", "Google Meet", "Zoom",
    "Quán cà phê gần văn phòng khách",
]  # fmt: skip
TASK_SUBJECTS = [
    "Gửi báo giá cho {who}", "Chuẩn bị hồ sơ dự thầu", "Gửi catalogue sản phẩm",
    "Cập nhật thông tin khách hàng",
    "Chuẩn bị hợp đồng", "Theo dõi thanh toán đợt 1", "Gửi quà Tết cho {who}", "Lên lịch giao hàng",
    "Kiểm tra tồn kho trước khi báo giá",
]  # fmt: skip
EMAIL_SUBJECTS = [
    "Báo giá chi tiết gửi {who}", "Cảm ơn {who} đã dành thời gian gặp mặt", "Xác nhận đơn hàng",
    "Thư mời hội thảo giải pháp văn phòng số", "Chúc mừng năm mới", "Hồ sơ năng lực Sen Việt",
    "Thông báo chương trình khuyến mãi tháng này",
]  # fmt: skip
NOTE_SUBJECTS = [
    "Ghi chú sau buổi gặp", "Khách hàng quan tâm gói bảo trì", "Thông tin người ra quyết định",
    "Khách hàng phàn nàn về thời gian giao hàng", "Ngân sách dự kiến của khách",
    "Sinh nhật giám đốc công ty khách",
]  # fmt: skip
