"""Test personas shared by every app's tests (STYLE.md §9).

The organisation: Trụ sở chính (HQ) → Chi nhánh Hà Nội → Phòng giao dịch Cầu Giấy, and
HQ → Chi nhánh TP. Hồ Chí Minh. Personas:

- ``alice``  — sales rep in team "Hà Nội 1" (branch Hà Nội), role with scope *own*
- ``bob``    — same team as alice, role with scope *team*
- ``dave``   — rep in team "Cầu Giấy" (branch Cầu Giấy, below Hà Nội), scope *own*
- ``carol``  — manager of branch Hà Nội, scope *branch* (sees Hà Nội and Cầu Giấy)
- ``mallory``— rep in branch HCM, scope *team* (team "Sài Gòn")
- ``erin``   — director at HQ, scope *all*
- ``admin``  — administrator role (settings pages), scope *all*
- ``viewer`` — read-only role at Hà Nội, scope *branch* (no create/change/delete/export)
- ``noright``— a user whose role grants nothing on CRM records
"""

from types import SimpleNamespace

from sencrm.common.models import Action, DataScope

PASSWORD = "Sen-test-2026!"


def make_org() -> SimpleNamespace:
    from sencrm.core.models import MODULES, Role, Team, User
    from sencrm.core.services.organisation import branch_create

    hq = branch_create(name="Trụ sở chính", code="HQ")
    hn = branch_create(name="Chi nhánh Hà Nội", code="HN", parent=hq)
    cg = branch_create(name="Phòng giao dịch Cầu Giấy", code="CG", parent=hn)
    hcm = branch_create(name="Chi nhánh TP. Hồ Chí Minh", code="HCM", parent=hq)

    team_hn = Team.objects.create(name="Hà Nội 1", branch=hn)
    team_cg = Team.objects.create(name="Cầu Giấy", branch=cg)
    team_sg = Team.objects.create(name="Sài Gòn", branch=hcm)

    full = Role.all_rights()
    view_only = {entity: [Action.VIEW.value] for entity in MODULES}
    roles = {
        "own": Role.objects.create(name="Rep (own)", scope=DataScope.OWN, rights=full),
        "team": Role.objects.create(name="Rep (team)", scope=DataScope.TEAM, rights=full),
        "branch": Role.objects.create(name="Manager (branch)", scope=DataScope.BRANCH, rights=full),
        "all": Role.objects.create(name="Director (all)", scope=DataScope.ALL, rights=full),
        "admin": Role.objects.create(name="Administrator", scope=DataScope.ALL, rights=full, is_admin=True),
        "viewer": Role.objects.create(name="Viewer", scope=DataScope.BRANCH, rights=view_only),
        "none": Role.objects.create(name="No CRM rights", scope=DataScope.ALL, rights={}),
    }

    def user(username, first, last, branch, team, role):
        u = User.objects.create_user(
            username=username,
            password=PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.vn",
            branch=branch,
            team=team,
            role=roles[role],
        )
        return u

    return SimpleNamespace(
        hq=hq, hn=hn, cg=cg, hcm=hcm,
        team_hn=team_hn, team_cg=team_cg, team_sg=team_sg,
        roles=roles,
        alice=user("alice", "Ánh", "Nguyễn Thị", hn, team_hn, "own"),
        bob=user("bob", "Bình", "Trần Văn", hn, team_hn, "team"),
        dave=user("dave", "Dũng", "Lê Văn", cg, team_cg, "own"),
        carol=user("carol", "Châu", "Phạm Minh", hn, None, "branch"),
        mallory=user("mallory", "Mai", "Võ Thị", hcm, team_sg, "team"),
        erin=user("erin", "Đức", "Đặng Văn", hq, None, "all"),
        admin=user("admin", "Quản", "Trị", hq, None, "admin"),
        viewer=user("viewer", "Xem", "Người", hn, None, "viewer"),
        noright=user("noright", "Không", "Quyền", hn, None, "none"),
    )  # fmt: skip
