from django.contrib.auth import views as auth_views
from django.urls import path

from ordercrm.web import orders, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("language/", views.set_language, name="set_language"),
    path("company/", views.switch_company, name="switch_company"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<str:customer_id>/", views.customer_detail, name="customer_detail"),
    path("products/", views.product_list, name="product_list"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/saved-filters/", orders.saved_filter, name="saved_filter"),
    path("orders/export.<str:fmt>", orders.order_export, name="order_export"),
    path("orders/<str:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<str:order_id>/pdf", orders.order_pdf, name="order_pdf"),
    path("orders/<str:order_id>/ship", orders.order_ship, name="order_ship"),
    path("orders/<str:order_id>/invoice", orders.order_invoice, name="order_invoice"),
    path("orders/<str:order_id>/payment", orders.order_payment, name="order_payment"),
    path("orders/<str:order_id>/<str:action>", orders.order_action, name="order_action"),
    path("approvals/", orders.approvals, name="approvals"),
    path("tokens/", views.tokens, name="tokens"),
    path("notifications/", views.notifications, name="notifications"),
    path("health", views.health, name="health"),
    path("health/worker", views.health_worker, name="health_worker"),
]
