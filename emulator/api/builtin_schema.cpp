#include <string_view>

namespace emulator {

// The built-in schema (also emulator/schema/dataverse_sample.json): Microsoft's change-tracking
// sample table, account and contact modelled on their reference pages, and a table without
// change tracking. schema_test.cpp checks that the file and this text agree.
std::string_view builtin_schema_json() {
  return R"json({
  "option_sets": [
    {
      "name": "sample_channel",
      "options": [
        { "value": 1, "label": "Email" },
        { "value": 2, "label": "Phone" },
        { "value": 3, "label": "Web" },
        { "value": 4, "label": "Partner" },
        { "value": 5, "label": "Retail store" }
      ]
    }
  ],
  "tables": [
    {
      "entity_set": "sample_books",
      "logical_name": "sample_book",
      "primary_id": "sample_bookid",
      "primary_name": "sample_name",
      "change_tracking": true,
      "columns": [
        { "name": "sample_name", "type": "string", "max_length": 100, "required": true },
        { "name": "sample_bookcode", "type": "string", "max_length": 100 },
        { "name": "sample_author", "type": "string", "max_length": 100 }
      ],
      "alternate_keys": [
        { "name": "sample_bookcode", "attributes": ["sample_bookcode"] }
      ]
    },
    {
      "entity_set": "accounts",
      "logical_name": "account",
      "primary_id": "accountid",
      "primary_name": "name",
      "display_name": "Account",
      "columns": [
        { "name": "name", "type": "String", "max_length": 160, "display_name": "Account Name" },
        { "name": "accountnumber", "type": "String", "max_length": 20, "display_name": "Account Number" },
        { "name": "description", "type": "Memo", "max_length": 2000, "display_name": "Description" },
        { "name": "revenue", "type": "Money", "precision": 2, "min_value": 0, "max_value": 100000000000000, "display_name": "Annual Revenue" },
        { "name": "sample_ledgerbalance", "type": "Money", "precision": 4, "min_value": "-922337203685477.5808", "max_value": "922337203685477.5807", "display_name": "Ledger Balance" },
        { "name": "transactioncurrencyid", "type": "Lookup", "targets": ["transactioncurrency"], "display_name": "Currency" },
        { "name": "numberofemployees", "type": "Integer", "min_value": 0, "max_value": 1000000000, "display_name": "Number of Employees" },
        { "name": "sample_externalid", "type": "BigInt", "display_name": "External Id" },
        { "name": "creditonhold", "type": "Boolean", "true_label": "Yes", "false_label": "No", "default": false, "display_name": "Credit Hold" },
        { "name": "address1_latitude", "type": "Double", "precision": 5, "min_value": -90, "max_value": 90, "display_name": "Address 1: Latitude" },
        { "name": "exchangerate", "type": "Decimal", "precision": 12, "min_value": "0.000000000001", "max_value": 100000000000, "display_name": "Exchange Rate" },
        { "name": "industrycode", "type": "Picklist", "display_name": "Industry", "options": [
          { "value": 1, "label": "Accounting" },
          { "value": 2, "label": "Agriculture and Non-petrol Natural Resource Extraction" },
          { "value": 3, "label": "Broadcasting Printing and Publishing" },
          { "value": 4, "label": "Brokers" },
          { "value": 5, "label": "Building Supply Retail" },
          { "value": 6, "label": "Business Services" },
          { "value": 7, "label": "Consulting" },
          { "value": 8, "label": "Consumer Services" },
          { "value": 9, "label": "Design, Direction and Creative Management" },
          { "value": 10, "label": "Distributors, Dispatchers and Processors" },
          { "value": 11, "label": "Doctor's Offices and Clinics" },
          { "value": 12, "label": "Durable Manufacturing" },
          { "value": 13, "label": "Eating and Drinking Places" },
          { "value": 14, "label": "Entertainment Retail" },
          { "value": 15, "label": "Equipment Rental and Leasing" },
          { "value": 16, "label": "Financial" },
          { "value": 17, "label": "Food and Tobacco Processing" },
          { "value": 18, "label": "Inbound Capital Intensive Processing" },
          { "value": 19, "label": "Inbound Repair and Services" },
          { "value": 20, "label": "Insurance" },
          { "value": 21, "label": "Legal Services" },
          { "value": 22, "label": "Non-Durable Merchandise Retail" },
          { "value": 23, "label": "Outbound Consumer Service" },
          { "value": 24, "label": "Petrochemical Extraction and Distribution" },
          { "value": 25, "label": "Service Retail" },
          { "value": 26, "label": "SIG Affiliations" },
          { "value": 27, "label": "Social Services" },
          { "value": 28, "label": "Special Outbound Trade Contractors" },
          { "value": 29, "label": "Specialty Realty" },
          { "value": 30, "label": "Transportation" },
          { "value": 31, "label": "Utility Creation and Distribution" },
          { "value": 32, "label": "Vehicle Retail" },
          { "value": 33, "label": "Wholesale" }
        ] },
        { "name": "customertypecode", "type": "Picklist", "display_name": "Relationship Type", "options": [
          { "value": 1, "label": "Competitor" },
          { "value": 2, "label": "Consultant" },
          { "value": 3, "label": "Customer" },
          { "value": 4, "label": "Investor" },
          { "value": 5, "label": "Partner" },
          { "value": 6, "label": "Influencer" },
          { "value": 7, "label": "Press" },
          { "value": 8, "label": "Prospect" },
          { "value": 9, "label": "Reseller" },
          { "value": 10, "label": "Supplier" },
          { "value": 11, "label": "Vendor" },
          { "value": 12, "label": "Other" }
        ] },
        { "name": "statecode", "type": "State", "display_name": "Status", "options": [
          { "value": 0, "label": "Active", "default_status": 1, "invariant_name": "Active" },
          { "value": 1, "label": "Inactive", "default_status": 2, "invariant_name": "Inactive" }
        ] },
        { "name": "statuscode", "type": "Status", "display_name": "Status Reason", "options": [
          { "value": 1, "label": "Active", "state": 0 },
          { "value": 2, "label": "Inactive", "state": 1 }
        ] },
        { "name": "primarycontactid", "type": "Lookup", "targets": ["contact"], "display_name": "Primary Contact" },
        { "name": "sample_foundedon", "type": "DateTime", "behavior": "DateOnly", "format": "DateOnly", "display_name": "Founded On" },
        { "name": "lastonholdtime", "type": "DateTime", "behavior": "UserLocal", "format": "DateAndTime", "display_name": "Last On Hold Time" },
        { "name": "sample_channels", "type": "MultiSelectPicklist", "option_set": "sample_channel", "display_name": "Channels" },
        { "name": "ownerid", "type": "Owner", "display_name": "Owner" },
        { "name": "entityimage", "type": "Image", "display_name": "Default Image" },
        { "name": "sample_contractfile", "type": "File", "display_name": "Contract" }
      ]
    },
    {
      "entity_set": "contacts",
      "logical_name": "contact",
      "primary_id": "contactid",
      "primary_name": "fullname",
      "display_name": "Contact",
      "columns": [
        { "name": "fullname", "type": "String", "max_length": 160, "display_name": "Full Name" },
        { "name": "firstname", "type": "String", "max_length": 50, "display_name": "First Name" },
        { "name": "lastname", "type": "String", "max_length": 50, "display_name": "Last Name" },
        { "name": "emailaddress1", "type": "String", "max_length": 100, "display_name": "Email" },
        { "name": "birthdate", "type": "DateTime", "behavior": "DateOnly", "format": "DateOnly", "display_name": "Birthday" },
        { "name": "gendercode", "type": "Picklist", "display_name": "Gender", "options": [
          { "value": 1, "label": "Male" },
          { "value": 2, "label": "Female" }
        ] },
        { "name": "parentcustomerid", "type": "Customer", "targets": ["account", "contact"], "display_name": "Company Name" },
        { "name": "statecode", "type": "State", "display_name": "Status", "options": [
          { "value": 0, "label": "Active", "default_status": 1, "invariant_name": "Active" },
          { "value": 1, "label": "Inactive", "default_status": 2, "invariant_name": "Inactive" }
        ] },
        { "name": "statuscode", "type": "Status", "display_name": "Status Reason", "options": [
          { "value": 1, "label": "Active", "state": 0 },
          { "value": 2, "label": "Inactive", "state": 1 }
        ] },
        { "name": "ownerid", "type": "Owner", "display_name": "Owner" }
      ]
    },
    {
      "entity_set": "sample_notes",
      "logical_name": "sample_note",
      "primary_id": "sample_noteid",
      "primary_name": "sample_name",
      "display_name": "Note",
      "change_tracking": false,
      "columns": [
        { "name": "sample_name", "type": "String", "max_length": 100, "display_name": "Name" },
        { "name": "sample_body", "type": "Memo", "max_length": 4000, "display_name": "Body" }
      ]
    }
  ]
}
)json";
}

}  // namespace emulator
