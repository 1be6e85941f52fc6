from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from ordercrm.accounts.models import Membership, SalesTeam, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("OrderCRM", {"fields": ("language", "phone")}))


@admin.register(SalesTeam)
class SalesTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "manager"]
    list_filter = ["company"]
