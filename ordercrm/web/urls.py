from django.contrib.auth import views as auth_views
from django.urls import path

from ordercrm.web import views

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
    path("health", views.health, name="health"),
    path("health/worker", views.health_worker, name="health_worker"),
]
