"""URLs of the CRM pages that are not plain record pages: home, kanban board, timelines."""

from django.urls import path

from sencrm.crm.views import board, home, timeline

urlpatterns = [
    path("", home.home, name="home"),
    path("home/tasks/<int:pk>/done/", home.task_done, name="home_task_done"),
    path("home/notifications/read/", home.notifications_read, name="home_notifications_read"),
    path("opportunities/board/", board.board, name="opportunity_board"),
    path("opportunities/board/more/", board.board_more, name="opportunity_board_more"),
    path("opportunities/board/move/", board.board_move, name="opportunity_board_move"),
    path("accounts/<int:pk>/timeline/", timeline.account_timeline, name="account_timeline"),
    path("contacts/<int:pk>/timeline/", timeline.contact_timeline, name="contact_timeline"),
]
